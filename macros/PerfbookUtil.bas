Attribute VB_Name = "PerfbookUtil"
' PerfbookUtil: text helpers shared by the perfbook macros.
' Plain VBA only (no Scripting.Dictionary, no RegExp): the same code runs in Excel for Windows and
' Mac, WPS and LibreOffice. Chinese text comes from U("\uXXXX") so the module stays ASCII.
Option Explicit


' --- lists: SEP & a & SEP & b & SEP ------------------------------------------------------------------

Public Function SEP() As String
    SEP = ChrW(31)
End Function

Public Sub Ad(ByRef lst As String, ByVal item As String)
    If lst = "" Then lst = SEP
    lst = lst & item & SEP
End Sub

Public Function Items(ByVal lst As String) As Variant
    ' the items of a list as an array (LibreOffice Basic has no "As String()" functions: a Variant)
    If Len(lst) <= 1 Then
        Items = Split("", SEP)
        Exit Function
    End If
    Items = Split(Mid(lst, 2, Len(lst) - 2), SEP)
End Function

Public Function InList(ByVal lst As String, ByVal s As String) As Boolean
    If Len(lst) <= 1 Then Exit Function
    InList = InStr(1, lst, SEP & s & SEP, vbBinaryCompare) > 0
End Function

Public Function InListCI(ByVal lst As String, ByVal s As String) As Boolean
    ' Excel's "=" on text and perfbook.rules._catalog.equals_any ignore case
    Dim it As Variant, i As Long
    it = Items(lst)
    For i = 0 To UBound(it)
        If LCase(it(i)) = LCase(s) Then
            InListCI = True
            Exit Function
        End If
    Next i
End Function

Public Function ContainsAny(ByVal lst As String, ByVal s As String) As String
    ' the first item of lst found inside s ("" when none)
    Dim it As Variant, i As Long
    it = Items(lst)
    For i = 0 To UBound(it)
        If Len(it(i)) > 0 Then
            If InStr(1, s, it(i), vbBinaryCompare) > 0 Then
                ContainsAny = it(i)
                Exit Function
            End If
        End If
    Next i
End Function

Public Function Lookup(ByVal keys As String, ByVal vals As String, ByVal key As String) As String
    Dim k As Variant, v As Variant, i As Long
    k = Items(keys)
    v = Items(vals)
    For i = 0 To UBound(k)
        If k(i) = key Then
            Lookup = v(i)
            Exit Function
        End If
    Next i
End Function

' --- text ---------------------------------------------------------------------------------------------

Public Function U(ByVal s As String) As String
    ' "\u6821\u9a8c" -> the Chinese text; other characters are kept as they are
    Dim out As String, i As Long, n As Long
    n = Len(s)
    i = 1
    Do While i <= n
        If Mid(s, i, 2) = "\u" And i + 5 <= n Then
            out = out & ChrW(CLng("&H" & Mid(s, i + 2, 4)))
            i = i + 6
        Else
            out = out & Mid(s, i, 1)
            i = i + 1
        End If
    Loop
    U = out
End Function

Public Function Fmt(ByVal template As String, ParamArray kv() As Variant) As String
    ' "{field}" fields filled from name/value pairs, as str.format does in perfbook.rules._catalog
    Dim i As Long, s As String
    s = template
    For i = LBound(kv) To UBound(kv) - 1 Step 2
        s = Replace(s, "{" & CStr(kv(i)) & "}", CStr(kv(i + 1)))
    Next i
    Fmt = s
End Function

Public Function IsWs(ByVal ch As String) As Boolean
    ' Python's str.isspace for the characters that occur in cells
    Dim c As Long
    If ch = "" Then Exit Function
    c = AscW(ch)
    If c < 0 Then c = c + 65536
    Select Case c
        Case 9 To 13, 28 To 32, 133, 160, 5760, 8192 To 8202, 8232, 8233, 8239, 8287, 12288
            IsWs = True
    End Select
End Function

Public Function PyStrip(ByVal s As String) As String
    Dim a As Long, b As Long
    a = 1
    b = Len(s)
    Do While a <= b
        If Not IsWs(Mid(s, a, 1)) Then Exit Do
        a = a + 1
    Loop
    Do While b >= a
        If Not IsWs(Mid(s, b, 1)) Then Exit Do
        b = b - 1
    Loop
    If b >= a Then
        PyStrip = Mid(s, a, b - a + 1)
    Else
        PyStrip = ""
    End If
End Function

Private Function IsStrayWs(ByVal ch As String) As Boolean
    ' values.py _STRAY_WS: tab, no-break space, the typographic and zero-width spaces, ideographic space, BOM
    Dim c As Long
    c = AscW(ch)
    If c < 0 Then c = c + 65536
    Select Case c
        Case 9, 160, 8192 To 8203, 12288, 65279
            IsStrayWs = True
    End Select
End Function

Private Function IsCjk(ByVal ch As String) As Boolean
    ' values.py _CJK: CJK punctuation, ideographs, full-width forms
    Dim c As Long
    If ch = "" Then Exit Function
    c = AscW(ch)
    If c < 0 Then c = c + 65536
    Select Case c
        Case 12288 To 12351, 13312 To 40959, 65280 To 65519
            IsCjk = True
    End Select
End Function

Public Function CleanText(ByVal s As String, ByVal multiline As Boolean) As String
    ' perfbook._values.clean_text: stray tabs and odd spaces made one space; a short field (multiline
    ' False) loses its line breaks (none between Chinese characters, else one space), a long text keeps
    ' its lines trimmed; runs of spaces made one, the ends stripped
    Dim i As Long, j As Long, n As Long, ch As String, out As String, stray As Boolean, lines As Variant
    Dim before As String, after As String
    s = Replace(Replace(s, vbCr & vbLf, vbLf), vbCr, vbLf)
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        If IsStrayWs(ch) Then
            If Not stray Then out = out & " "
            stray = True
        Else
            out = out & ch
            stray = False
        End If
    Next i
    s = out
    out = ""
    If multiline Then
        lines = Split(s, vbLf)
        For i = 0 To UBound(lines)
            ch = PyStrip(lines(i))
            If ch <> "" Then
                If out <> "" Then out = out & vbLf
                out = out & ch
            End If
        Next i
    Else
        n = Len(s)
        i = 1
        Do While i <= n
            ch = Mid(s, i, 1)
            If IsWs(ch) Then
                j = i
                Do While j <= n
                    If Not IsWs(Mid(s, j, 1)) Then Exit Do
                    j = j + 1
                Loop
                If InStr(Mid(s, i, j - i), vbLf) > 0 Then
                    ' a line break with the blanks around it: nothing next to a Chinese character, else a space
                    before = ""
                    after = ""
                    If i > 1 Then before = Mid(s, i - 1, 1)
                    If j <= n Then after = Mid(s, j, 1)
                    If before = "" Then before = ChrW(12290)
                    If after = "" Then after = ChrW(12290)
                    If i > 1 And n - j >= 1 And IsCjk(before) And IsCjk(after) And InList(NameEndings, before) Then
                        out = out & vbLf        ' two names in one cell (values._join): never glued
                    ElseIf Not (IsCjk(before) Or IsCjk(after)) Then
                        out = out & " "
                    End If
                Else
                    out = out & Mid(s, i, j - i)
                End If
                i = j
            Else
                out = out & ch
                i = i + 1
            End If
        Loop
        Do While InStr(out, "  ") > 0
            out = Replace(out, "  ", " ")
        Loop
    End If
    CleanText = PyStrip(out)
End Function

Public Function TrimX(ByVal s As String) As String
    ' Excel's TRIM: spaces at the ends removed, runs of spaces inside made one
    Do While InStr(s, "  ") > 0
        s = Replace(s, "  ", " ")
    Loop
    Do While Left(s, 1) = " "
        s = Mid(s, 2)
    Loop
    Do While Right(s, 1) = " "
        s = Left(s, Len(s) - 1)
    Loop
    TrimX = s
End Function

Public Function NoSpace(ByVal s As String) As String
    s = Replace(s, " ", "")
    s = Replace(s, ChrW(12288), "")
    s = Replace(s, vbLf, "")
    s = Replace(s, vbCr, "")
    NoSpace = Replace(s, vbTab, "")
End Function

Public Function NfkcLite(ByVal s As String) As String
    ' the part of Unicode NFKC that matters in these tables: full-width ASCII and the ideographic space
    Dim i As Long, c As Long, out As String, ch As String
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        c = AscW(ch)
        If c < 0 Then c = c + 65536
        If c >= &HFF01& And c <= &HFF5E& Then
            out = out & ChrW(c - &HFEE0&)
        ElseIf c = 12288 Then
            out = out & " "
        Else
            out = out & ch
        End If
    Next i
    NfkcLite = out
End Function

Public Function IsDigitIn(ByVal ch As String, ByVal digits As String) As Boolean
    If ch = "" Then Exit Function
    IsDigitIn = InStr(1, digits, ch, vbBinaryCompare) > 0
End Function

Public Function IsAsciiDigit(ByVal ch As String) As Boolean
    If ch = "" Then Exit Function
    IsAsciiDigit = (ch >= "0" And ch <= "9")
End Function

Public Function HasDigit(ByVal s As String) As Boolean
    ' Python's \d for ASCII and full-width digits
    Dim i As Long, ch As String
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        If IsAsciiDigit(ch) Or (AscW(ch) >= &HFF10& And AscW(ch) <= &HFF19&) Then
            HasDigit = True
            Exit Function
        End If
    Next i
End Function

Public Function StartsWith(ByVal s As String, ByVal prefix As String) As Boolean
    StartsWith = (Left(s, Len(prefix)) = prefix)
End Function

Public Function EndsWith(ByVal s As String, ByVal suffix As String) As Boolean
    If Len(suffix) > Len(s) Then Exit Function
    EndsWith = (Right(s, Len(suffix)) = suffix)
End Function

Public Function NumText(ByVal v As Double) As String
    ' a number as Python prints it after to_number: 95.0 -> "95", 0.5 -> "0.5" (locale-free)
    Dim s As String
    If v = Fix(v) And Abs(v) < 1E+15 Then
        s = Trim(Str(Fix(v)))
    Else
        s = Trim(Str(v))
        If Left(s, 1) = "." Then s = "0" & s
        If Left(s, 2) = "-." Then s = "-0" & Mid(s, 2)
    End If
    NumText = s
End Function

Public Function ColLetter(ByVal col As Long) As String
    Dim s As String, r As Long
    Do While col > 0
        r = (col - 1) Mod 26
        s = Chr(65 + r) & s
        col = (col - 1) \ 26
    Loop
    ColLetter = s
End Function

Public Function LabelKey(ByVal s As String) As String
    ' perfbook._fields.label_key: NFKC, no spaces, colons, asterisks or stars
    s = NfkcLite(s)
    s = Replace(s, " ", "")
    s = Replace(s, vbLf, "")
    s = Replace(s, vbCr, "")
    s = Replace(s, vbTab, "")
    s = Replace(s, ":", "")
    s = Replace(s, ChrW(&HFF1A&), "")
    s = Replace(s, "*", "")
    s = Replace(s, ChrW(&H2605&), "")
    LabelKey = s
End Function

Public Function StripParens(ByVal s As String) As String
    ' a label whose parenthesis holds a year or a period, without it ("budget year (2024) goal")
    Dim a As Long, b As Long
    Do
        a = InStr(s, "(")
        If a = 0 Then Exit Do
        b = InStr(a, s, ")")
        If b = 0 Then Exit Do
        s = Left(s, a - 1) & Mid(s, b + 1)
    Loop
    StripParens = s
End Function

Public Function NormName(ByVal s As String) As String
    ' perfbook.rules._frames.norm_name: no spaces, one trailing \u6307\u6807 ("indicator") removed
    s = NoSpace(s)
    If Right(s, 2) = ChrW(&H6307&) & ChrW(&H6807&) Then s = Left(s, Len(s) - 2)
    NormName = s
End Function

' --- the rule language's values (perfbook/rules/_python.py): the generated rule Subs in PerfbookRules ------
' A value is a Variant: "" (blank), text, a Double or a Boolean. A failed sum is FAIL_MARK, which every
' comparison reads as FALSE (Python: a comparison over a failed operand is False).

Public Function FailMark() As String
    FailMark = ChrW(0) & "#VALUE!"
End Function

Public Function XIsNumber(ByVal v As Variant) As Boolean
    Select Case VarType(v)
        Case vbInteger, vbLong, vbSingle, vbDouble, vbCurrency, vbDecimal
            XIsNumber = True
    End Select
End Function

Public Function XIsText(ByVal v As Variant) As Boolean
    If VarType(v) = vbString Then XIsText = (v <> "" And v <> FailMark())
End Function

Public Function XShow(ByVal v As Variant) As String
    If XIsNumber(v) Then
        XShow = NumText(CDbl(v))
    ElseIf VarType(v) = vbBoolean Then
        If v Then
            XShow = "TRUE"
        Else
            XShow = "FALSE"
        End If
    ElseIf IsEmpty(v) Or IsNull(v) Then
        XShow = ""
    Else
        XShow = CStr(v)
    End If
End Function

Public Function XT(ByVal v As Variant) As Boolean
    ' truth as Python's rule_python.truth: text is TRUE only when it says TRUE
    If VarType(v) = vbBoolean Then
        XT = v
    ElseIf XIsNumber(v) Then
        XT = (CDbl(v) <> 0)
    ElseIf VarType(v) = vbString Then
        XT = (UCase(v) = "TRUE")
    End If
End Function

Public Function XIf(ByVal c As Boolean, ByVal a As Variant, ByVal b As Variant) As Variant
    If c Then
        XIf = a
    Else
        XIf = b
    End If
End Function

Public Function XIsBlank(ByVal v As Variant) As Boolean
    ' perfbook.rules._catalog.filled, negated: empty, or only spaces
    XIsBlank = (Trim(Replace(XShow(v), " ", "")) = "")
    If XIsNumber(v) Then XIsBlank = False
End Function

Public Function XEq(ByVal a As Variant, ByVal b As Variant) As Boolean
    ' Excel's "=": numbers by value, text ignoring case, a number never equals text
    If IsEmpty(a) Then a = ""
    If IsEmpty(b) Then b = ""
    If XIsNumber(a) And XIsNumber(b) Then
        XEq = (CDbl(a) = CDbl(b))
    ElseIf VarType(a) = vbBoolean Or VarType(b) = vbBoolean Then
        If VarType(a) = vbBoolean And VarType(b) = vbBoolean Then XEq = (a = b)
    ElseIf XIsNumber(a) Or XIsNumber(b) Then
        XEq = False
    Else
        XEq = (LCase(CStr(a)) = LCase(CStr(b)))
    End If
End Function

Public Function XCmp(ByVal a As Variant, ByVal op As String, ByVal b As Variant) As Boolean
    Dim x As Double, y As Double
    If VarType(a) = vbString Then
        If a = FailMark() Then Exit Function
    End If
    If VarType(b) = vbString Then
        If b = FailMark() Then Exit Function
    End If
    If op = "=" Then
        XCmp = XEq(a, b)
        Exit Function
    ElseIf op = "<>" Then
        XCmp = Not XEq(a, b)
        Exit Function
    End If
    If Not XIsNumber(b) Then Exit Function
    If XIsNumber(a) Then
        x = CDbl(a)
    ElseIf XShow(a) = "" And VarType(a) <> vbBoolean Then
        x = 0
    Else
        Exit Function
    End If
    y = CDbl(b)
    Select Case op
        Case "<"
            XCmp = x < y
        Case ">"
            XCmp = x > y
        Case "<="
            XCmp = x <= y
        Case ">="
            XCmp = x >= y
    End Select
End Function

Private Function XNumOk(ByVal v As Variant, ByRef x As Double) As Boolean
    ' rule_python._num: a number, a Boolean as 0/1, blank as 0; text fails
    If XIsNumber(v) Then
        x = CDbl(v)
        XNumOk = True
    ElseIf VarType(v) = vbBoolean Then
        x = IIf(v, 1, 0)
        XNumOk = True
    ElseIf IsEmpty(v) Then
        x = 0
        XNumOk = True
    End If
End Function

Public Function XArith(ByVal a As Variant, ByVal op As String, ByVal b As Variant) As Variant
    Dim x As Double, y As Double
    If Not XNumOk(a, x) Or Not XNumOk(b, y) Then
        XArith = FailMark()
        Exit Function
    End If
    Select Case op
        Case "+"
            XArith = x + y
        Case "-"
            XArith = x - y
        Case "*"
            XArith = x * y
        Case "/"
            If y = 0 Then
                XArith = FailMark()
            Else
                XArith = x / y
            End If
    End Select
End Function

Public Function XN(ByVal v As Variant) As Variant
    If XIsNumber(v) Then
        XN = CDbl(v)
    Else
        XN = CDbl(0)
    End If
End Function

Public Function XAbs(ByVal v As Variant) As Variant
    Dim x As Double
    If XNumOk(v, x) Then
        XAbs = Abs(x)
    Else
        XAbs = FailMark()
    End If
End Function

Public Function XRound(ByVal v As Variant, ByVal n As Variant) As Variant
    Dim x As Double
    If XNumOk(v, x) Then
        XRound = Round(x, CLng(n))
    Else
        XRound = FailMark()
    End If
End Function

Public Function XNumber(ByVal v As Variant) As Variant
    ' perfbook.rules._catalog.number: a number, or text of digits (full-width digits too)
    Dim s As String, i As Long, c As Long, ch As String, t As String
    If XIsNumber(v) Then
        XNumber = CDbl(v)
        Exit Function
    End If
    s = XShow(v)
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        c = AscW(ch)
        If c >= &HFF10& And c <= &HFF19& Then ch = ChrW(c - &HFEE0&)
        t = t & ch
    Next i
    If IsNumeric(t) And t <> "" Then
        XNumber = Val(t)
    Else
        XNumber = FailMark()
    End If
End Function

Public Function XL(ByVal v As Variant) As String
    ' one value as a list
    XL = SEP & XShow(v) & SEP
End Function

Public Function XJoin(ByVal lst As String, ByVal sep2 As String, ByVal n As Variant) As String
    Dim it As Variant, i As Long, s As String, m As Long
    it = Items(lst)
    m = UBound(it)
    If CDbl(n) >= 0 Then
        If CDbl(n) - 1 < m Then m = CLng(n) - 1
    End If
    For i = 0 To m
        If i > 0 Then s = s & sep2
        s = s & it(i)
    Next i
    XJoin = s
End Function

Public Function XAttr(ByVal item As Variant, ByVal attr As String) As Variant
    ' an item of frame.requirements / frame.groups: "name=value" pairs joined by ChrW(30)
    Dim parts As Variant, i As Long, p As Long
    parts = Split(CStr(item), ChrW(30))
    For i = 0 To UBound(parts)
        p = InStr(parts(i), "=")
        If p > 0 Then
            If Left(parts(i), p - 1) = attr Then
                XAttr = Mid(parts(i), p + 1)
                If attr = "minimum" Then XAttr = Val(XAttr)
                Exit Function
            End If
        End If
    Next i
    XAttr = ""
End Function

' --- patterns and sums of money (rule_python.has_pattern, occurs, amounts, money_in) ------------------

Public Function XHasPattern(ByVal lst As String, ByVal s As String) As Boolean
    ' a wildcard pattern (* any run, ? one character, ~ escapes; Excel's SEARCH) found anywhere in s
    Dim it As Variant, i As Long
    it = Items(lst)
    s = LCase(s)
    For i = 0 To UBound(it)
        If Len(it(i)) > 0 Then
            If PatternHit(s, LCase(it(i))) Then
                XHasPattern = True
                Exit Function
            End If
        End If
    Next i
End Function

Private Function PatternHit(ByVal s As String, ByVal p As String) As Boolean
    ' a plain word by InStr; a wildcard pattern only when each of its plain pieces occurs (Basic is slow
    ' character by character, and the rules evaluate every term)
    Dim parts As Variant, k As Long
    If InStr(p, "~") = 0 Then
        If InStr(p, "*") = 0 And InStr(p, "?") = 0 Then
            PatternHit = InStr(1, s, p, vbBinaryCompare) > 0
            Exit Function
        End If
        parts = Split(Replace(p, "?", "*"), "*")
        For k = 0 To UBound(parts)
            If Len(parts(k)) > 0 Then
                If InStr(1, s, parts(k), vbBinaryCompare) = 0 Then Exit Function
            End If
        Next k
    End If
    PatternHit = GlobFind(s, p)
End Function

Private Function GlobFind(ByVal s As String, ByVal p As String) As Boolean
    ' p matched against some part of s: "*" & p & "*" over the whole of s, with backtracking to the
    ' last star (the classic two-pointer wildcard match)
    Dim toks As String, lits As String, i As Long, k As Long, si As Long, pi As Long, star As Long, mark As Long
    Dim n As Long, m As Long
    toks = "*": lits = " "
    i = 1
    Do While i <= Len(p)
        If Mid(p, i, 1) = "~" And i < Len(p) Then
            toks = toks & "L": lits = lits & Mid(p, i + 1, 1): i = i + 2
        Else
            k = InStr("*?", Mid(p, i, 1))
            If k = 1 Then
                toks = toks & "*"
            ElseIf k = 2 Then
                toks = toks & "?"
            Else
                toks = toks & "L"
            End If
            lits = lits & Mid(p, i, 1): i = i + 1
        End If
    Loop
    toks = toks & "*": lits = lits & " "
    n = Len(s): m = Len(toks)
    si = 1: pi = 1: star = 0: mark = 0
    Do While si <= n
        If pi <= m And Mid(toks, pi, 1) = "*" Then
            star = pi: mark = si: pi = pi + 1
        ElseIf pi <= m And (Mid(toks, pi, 1) = "?" Or (Mid(toks, pi, 1) = "L" And Mid(lits, pi, 1) = Mid(s, si, 1))) Then
            si = si + 1: pi = pi + 1
        ElseIf star > 0 Then
            pi = star + 1: mark = mark + 1: si = mark
        Else
            Exit Function
        End If
    Loop
    Do While pi <= m
        If Mid(toks, pi, 1) <> "*" Then Exit Function
        pi = pi + 1
    Loop
    GlobFind = True
End Function

Public Function XOccurs(ByVal lst As String, ByVal s As String) As Variant
    ' how many times the items of lst occur in s (non-overlapping, like str.count)
    Dim it As Variant, i As Long, n As Long, k As Long
    it = Items(lst)
    For i = 0 To UBound(it)
        If Len(it(i)) > 0 Then
            k = InStr(1, s, it(i), vbBinaryCompare)
            Do While k > 0
                n = n + 1
                k = InStr(k + Len(it(i)), s, it(i), vbBinaryCompare)
            Loop
        End If
    Next i
    XOccurs = n
End Function

Private Function AmountList(ByVal s As String) As String
    ' the sums of money in s, in 10,000 yuan, as a list: digits (one "." inside) then wan-yuan, wan or yuan
    Dim i As Long, j As Long, n As Long, num As String, rest As String, out As String, x As Double
    out = SEP
    n = Len(s)
    i = 1
    Do While i <= n
        If IsAsciiDigit(Mid(s, i, 1)) Then
            j = i
            Do While j <= n
                If Not IsAsciiDigit(Mid(s, j, 1)) Then Exit Do
                j = j + 1
            Loop
            If j < n And Mid(s, j, 1) = "." Then
                If IsAsciiDigit(Mid(s, j + 1, 1)) Then
                    j = j + 1
                    Do While j <= n
                        If Not IsAsciiDigit(Mid(s, j, 1)) Then Exit Do
                        j = j + 1
                    Loop
                End If
            End If
            num = Mid(s, i, j - i)
            Do While j <= n
                If Not IsWs(Mid(s, j, 1)) Then Exit Do
                j = j + 1
            Loop
            rest = Mid(s, j, 1)
            If rest = ChrW(19975) Or rest = ChrW(20803) Then
                x = Val(num)
                If rest = ChrW(20803) Then x = x / 10000
                out = out & Trim(Str(x)) & SEP
            End If
            i = j
        Else
            i = i + 1
        End If
    Loop
    AmountList = out
End Function

Public Function XAmounts(ByVal s As String) As Variant
    XAmounts = UBound(Items(AmountList(s))) + 1
End Function

Public Function XMoneyIn(ByVal s As Variant, ByVal target As Variant) As Boolean
    ' the text names this sum of 10,000 yuan: one of its amounts, or all of them added up, to 0.5 %
    Dim it As Variant, i As Long, total As Double, t As Double
    If Not XIsNumber(target) Then Exit Function
    t = CDbl(target)
    If t <= 0 Then Exit Function
    it = Items(AmountList(XShow(s)))
    For i = 0 To UBound(it)
        total = total + Val(it(i))
        If Abs(Val(it(i)) - t) <= 0.005 * t Then XMoneyIn = True
    Next i
    If UBound(it) > 0 And Abs(total - t) <= 0.005 * t Then XMoneyIn = True
End Function

Public Function XExcerpt(ByVal v As Variant, ByVal n As Variant) As String
    ' the start of a long text for a message (rule_python.excerpt)
    Dim t As String
    t = PyStrip(XShow(v))
    t = Replace(Replace(Replace(t, vbCr, " "), vbLf, " "), vbTab, " ")
    If Len(t) > CLng(n) Then t = Left(t, CLng(n)) & ChrW(8230)
    XExcerpt = t
End Function
