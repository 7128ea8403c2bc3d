// Apache POI's VBAMacroReader, an independent reader of VBA projects: prints each module of the
// vbaProject.bin or workbook given, one line per module: name TAB base64(UTF-8 source).
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.apache.poi.poifs.macros.VBAMacroReader;

public class PoiVba {
    public static void main(String[] args) throws Exception {
        for (String path : args) {
            try (VBAMacroReader reader = new VBAMacroReader(new File(path))) {
                Map<String, String> macros = new TreeMap<>(reader.readMacros());
                System.out.println("FILE\t" + path);
                for (Map.Entry<String, String> e : macros.entrySet()) {
                    System.out.println(e.getKey() + "\t" + Base64.getEncoder().encodeToString(
                            e.getValue().getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
    }
}
