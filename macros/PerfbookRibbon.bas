Attribute VB_Name = "PerfbookRibbon"
' PerfbookRibbon: the callbacks of the ribbon tab (macros/customUI14.xml, customUI.xml).
' Each button runs its command with dialogs (Silent = False). control is typed As Object, not
' IRibbonControl: where the Office type library is missing (WPS) the module still compiles.
Option Explicit

Private Const BRIDGE As String = "import perfbook.xlwings_bridge as b; b.validate_active_sheet()"

Public Sub OnValidate(control As Object)
    ' a self-evaluation or monitoring table perfbook made is scored and checked by PerfbookCycle
    PerfbookCheck.Silent = False
    If PerfbookCycle.IsCycleSheet(ActiveSheet) Then
        PerfbookCycle.CycleValidate
    Else
        PerfbookCheck.Validate
    End If
End Sub

Public Sub OnClearMarks(control As Object)
    PerfbookCheck.Silent = False
    PerfbookCheck.ClearMarks
End Sub

Public Sub OnInsertRow(control As Object)
    PerfbookCheck.Silent = False
    PerfbookCheck.InsertIndicatorRow
End Sub

Public Sub OnValidateFull(control As Object)
    ' the full rule set of "perfbook check", through xlwings' RunPython (Windows/macOS with Python):
    ' a saved copy of the workbook is checked by perfbook.xlwings_bridge, which writes its findings on
    ' the data sheet; PerfbookCheck.ApplyFindings then marks and lists them like the VBA check does
    Dim wb As Object, ws As Object, ds As Object, path As String, folder As String, ext As String
    If Not PythonAvailable() Then
        MsgBox T("python_missing"), vbExclamation, T("title")
        Exit Sub
    End If
    On Error GoTo Failed
    Set wb = ActiveWorkbook
    Set ws = ActiveSheet
    folder = Environ("TEMP")
    If folder = "" Then folder = Environ("TMPDIR")
    If folder = "" Then folder = wb.Path
    ext = ".xlsx"
    If InStrRev(wb.Name, ".") > 0 Then ext = Mid(wb.Name, InStrRev(wb.Name, "."))
    path = folder & Application.PathSeparator & "perfbook-" & Format(Now, "yyyymmddhhnnss") & ext
    wb.SaveCopyAs path
    Set ds = PerfbookCheck.DataSheet(wb, True)
    ds.Cells(1, 1).Value = "copy": ds.Cells(1, 2).Value = path
    ds.Cells(2, 1).Value = "sheet": ds.Cells(2, 2).NumberFormat = "@": ds.Cells(2, 2).Value = ws.Name
    ws.Activate
    Application.Run "'" & XlwingsBook() & "'!RunPython", BRIDGE
    PerfbookCheck.Silent = False
    PerfbookCheck.ApplyFindings
    On Error Resume Next
    Kill path
    Exit Sub
Failed:
    MsgBox Fmt(T("python_failed"), "error", Err.Description), vbExclamation, T("title")
End Sub

Public Sub GetPythonVisible(control As Object, ByRef visible)
    ' the full-rules button shows only where the xlwings add-in is loaded
    visible = PythonAvailable()
End Sub

Public Sub GetWorkbookTabVisible(control As Object, ByRef visible)
    ' a workbook's own ribbon tab steps aside while the add-in (perfbook.xlam) is open: one tab,
    ' the add-in's newer rules
    visible = Not AddinOpen()
End Sub

Private Function AddinOpen() As Boolean
    Dim wb As Object
    On Error Resume Next
    Set wb = Application.Workbooks("perfbook.xlam")
    AddinOpen = Not (wb Is Nothing)
End Function

Public Function PythonAvailable() As Boolean
    PythonAvailable = (XlwingsBook() <> "")
End Function

Private Function XlwingsBook() As String
    Dim wb As Object, n As Variant
    On Error Resume Next
    For Each n In Array("xlwings.xlam", "xlwings.xlsm")
        Set wb = Nothing
        Set wb = Application.Workbooks(CStr(n))
        If Not wb Is Nothing Then
            XlwingsBook = wb.Name
            Exit Function
        End If
    Next n
End Function
