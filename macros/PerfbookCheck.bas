Attribute VB_Name = "PerfbookCheck"
' PerfbookCheck: the commands of the ribbon tab, on the active sheet.
'   Validate            - check the indicator table, fill and comment each bad cell, list every finding
'                         on the results sheet with a link to its cell, and say "N errors, M warnings"
'   ClearMarks          - take away exactly what Validate added (fills, comments, results sheet)
'   InsertIndicatorRow  - a new indicator row under the selection, with styles, drop-downs, merges, formulas
' ...Silent variants never show a dialog (headless LibreOffice, tests, batch use) and return the summary.
' The rules mirror perfbook/rules/_catalog.py one for one; their texts and data come from PerfbookRules, which is
' generated from the same rules.yaml, frames and word lists as "perfbook check".
' The table is found by its header labels (fields.yaml labels and aliases), never by cell address.
Option Explicit

Private Const COLOR_ERROR As Long = 13551615      ' RGB(255, 199, 206)
Private Const COLOR_WARNING As Long = 10284031    ' RGB(255, 235, 156)
Private Const COLOR_INFO As Long = 16247773       ' RGB(221, 235, 247)
Private Const XL_NONE As Long = -4142
Private Const XL_VERYHIDDEN As Long = 2
Private Const SCAN_ROWS As Long = 300
Private Const SCAN_COLS As Long = 60
Private Const MIN_HEADER_FIELDS As Long = 3
' what a typed value cell is (perfbook._values.split_value)
Private Const SPLIT_UNREADABLE As Long = 0
Private Const SPLIT_NUMBER As Long = 1
Private Const SPLIT_QUAL As Long = 2
Private Const SPLIT_NA As Long = 3

Public Silent As Boolean
Public LastSummary As String
Public LastErrors As Long, LastWarnings As Long, LastInfos As Long

' the indicator table of the sheet being checked
Private mWs As Object
Private mHeader As Long, mFirst As Long, mLast As Long, mMaxCol As Long
Private mCol() As Long
Private fL1 As Long, fL2 As Long, fName As Long, fSign As Long, fValue As Long, fUnit As Long
Private fAttr As Long, fEval As Long
Private mFrame As Long
Private mFrameTitle As String
Private mHdrScanned As Boolean
Private mHeadRead As Boolean, mHead() As String
Private mHdrAddr() As String, mHdrTxt() As String
' True when the sheet is laid out as perfbook's template (perfbook.readers.reader.match_role): its cells are read
' as typed. Any other layout is read as perfbook.readers._foreign reads it: texts cleaned, empty markers dropped,
' heading rows carried down, a combined value cell (">=90%") split into sign, number and unit.
Private mTemplate As Boolean

' one entry per indicator row with hasAny content (perfbook.rules._catalog.RowFacts)
Private NR As Long
Private RRow() As Long, RV() As String, RIsNum() As Boolean, RNumV() As Double, RSign() As String
Private RRaw() As String, RCol() As Long, RNaSplit() As Boolean   ' text as typed; column of each field
Private RE1() As String, RE2() As String, RL1() As Long, RL2() As Long, RCat() As String
Private RSg() As String, RAk() As String, RSk() As String, RKind() As String
Private RNa() As Boolean, RPhv() As Boolean, RNum() As Boolean, RHasScore() As Boolean, RScore() As Double

' the findings, in perfbook check's order (rows in order, rules in rules.yaml order; then project rules)
Private NF As Long
Private FRule() As String, FSev() As String, FMsg() As String, FFix() As String, FAddr() As String
Private FMore() As String       ' a folded finding's other cells, SEP-joined (perfbook.rules.findings.presented)
' every table row that names a level 1 or level 2 (perfbook.readers._sheetlayout.Layout.groups): where a group's finding goes
Private NLv As Long
Private LvRow() As Long, LvL1() As String, LvL2() As String
Private mProjRow As Long

' ==== commands =========================================================================================

Public Function ValidateSilent() As String
    Silent = True
    Validate
    Silent = False
    ValidateSilent = LastSummary
End Function

Public Function ClearMarksSilent() As String
    Silent = True
    ClearMarks
    Silent = False
    ClearMarksSilent = LastSummary
End Function

Public Function InsertIndicatorRowSilent() As String
    Silent = True
    InsertIndicatorRow
    Silent = False
    InsertIndicatorRowSilent = LastSummary
End Function

Public Sub Validate()
    Dim ws As Object
    On Error GoTo Failed
    LoadRules
    LastErrors = 0: LastWarnings = 0: LastInfos = 0
    Set ws = ActiveSheet
    If ws.ProtectContents Then
        LastSummary = T("protected")
        Say LastSummary
        Exit Sub
    End If
    ClearSheet ws
    If Not FindTable(ws) Then
        LastSummary = T("no_table")
        Say LastSummary
        Exit Sub
    End If
    ReadRows
    ResolveFrame
    BuildFacts
    RunRules
    PresentFindings
    MarkCells
    WriteResults
    ws.Activate
    LastSummary = SummaryText()
    Say LastSummary & vbLf & vbLf & T("summary_hint")
    Exit Sub
Failed:
    LastSummary = Fmt(T("failed"), "error", Err.Description)
    Say LastSummary
End Sub

Public Sub ClearMarks()
    Dim ws As Object, n As Long
    On Error GoTo Failed
    LoadRules
    Set ws = ActiveSheet
    n = ClearSheet(ws)
    If n > 0 Then
        LastSummary = Fmt(T("cleared"), "sheet", ws.Name, "n", n)
    Else
        LastSummary = Fmt(T("cleared_none"), "sheet", ws.Name)
    End If
    Say LastSummary
    Exit Sub
Failed:
    LastSummary = Fmt(T("failed"), "error", Err.Description)
    Say LastSummary
End Sub

Private Sub Say(ByVal msg As String)
    If Not Silent Then MsgBox msg, vbInformation, T("title")
End Sub

' ==== findings from perfbook check (the xlwings bridge) ===============================================
' perfbook.xlwings_bridge answers a request on the very hidden data sheet:
'   A1 copy | B1 path of the saved copy        A2 sheet | B2 the sheet to check
'   A3 status | B3 "ok" or the error           A4 frame | B4 the frame's title
'   row 5: headers; from row 6: rule | severity | cell | message | fix
' ApplyFindings marks and lists those findings exactly as Validate marks and lists its own.

Public Function DataSheet(ByVal wb As Object, ByVal create As Boolean) As Object
    Dim ds As Object
    On Error Resume Next
    Set ds = wb.Worksheets(T("data_sheet"))
    On Error GoTo 0
    If ds Is Nothing And create Then
        Set ds = wb.Worksheets.Add(After:=wb.Worksheets(wb.Worksheets.Count))
        ds.Name = T("data_sheet")
        ds.Visible = XL_VERYHIDDEN
    End If
    Set DataSheet = ds
End Function

Public Function ApplyFindingsSilent() As String
    Silent = True
    ApplyFindings
    Silent = False
    ApplyFindingsSilent = LastSummary
End Function

Public Sub ApplyFindings()
    Dim wb As Object, ds As Object, ws As Object, r As Long, status As String
    On Error GoTo Failed
    LoadRules
    Set wb = ActiveWorkbook
    Set ds = DataSheet(wb, False)
    If ds Is Nothing Then
        LastSummary = Fmt(T("python_failed"), "error", T("data_sheet"))
        Say LastSummary
        Exit Sub
    End If
    status = CStr(ds.Cells(3, 2).Value)
    Set ws = wb.Worksheets(CStr(ds.Cells(2, 2).Value))
    If status <> "ok" Then
        DeleteSheet ds
        ws.Activate
        LastSummary = Fmt(T("python_failed"), "error", status)
        Say LastSummary
        Exit Sub
    End If
    ClearSheet ws
    Set mWs = ws
    mFrameTitle = CStr(ds.Cells(4, 2).Value)
    NF = 0
    r = 6
    Do While CStr(ds.Cells(r, 1).Value) <> ""
        NF = NF + 1
        ReDim Preserve FRule(1 To NF): ReDim Preserve FSev(1 To NF): ReDim Preserve FMsg(1 To NF)
        ReDim Preserve FFix(1 To NF): ReDim Preserve FAddr(1 To NF): ReDim Preserve FMore(1 To NF)
        FMore(NF) = Trim(CStr(ds.Cells(r, 6).Value))    ' a folded finding's other cells, space-separated
        If FMore(NF) <> "" Then FMore(NF) = SEP & Replace(FMore(NF), " ", SEP) & SEP
        FRule(NF) = CStr(ds.Cells(r, 1).Value): FSev(NF) = CStr(ds.Cells(r, 2).Value)
        FAddr(NF) = CStr(ds.Cells(r, 3).Value): FMsg(NF) = CStr(ds.Cells(r, 4).Value)
        FFix(NF) = CStr(ds.Cells(r, 5).Value)
        r = r + 1
    Loop
    DeleteSheet ds
    MarkCells
    WriteResults
    ws.Activate
    LastSummary = SummaryText()
    Say LastSummary & vbLf & vbLf & T("summary_hint")
    Exit Sub
Failed:
    LastSummary = Fmt(T("failed"), "error", Err.Description)
    Say LastSummary
End Sub

' ==== finding the table ================================================================================

Private Function CellText(ByVal c As Object) As String
    ' a cell as perfbook's data model reads it: "" when empty or only whitespace, numbers as Python prints them
    Dim v As Variant
    v = c.Value
    If VarType(v) = vbError Then
        CellText = c.Text
    Else
        CellText = ValueText(v)
    End If
End Function

Private Function ValueText(ByVal v As Variant) As String
    ' CellText for a value already read (a range read in one call)
    Dim s As String
    Select Case VarType(v)
        Case vbEmpty, vbNull
            s = ""
        Case vbString
            s = Replace(Replace(v, vbCr & vbLf, vbLf), vbCr, vbLf)
            If PyStrip(s) = "" Then s = ""
        Case vbBoolean
            If v Then
                s = U("\u662F")
            Else
                s = U("\u5426")
            End If
        Case vbDate
            s = Format(v, "yyyy-mm-dd")
        Case vbError
            s = ""
        Case Else
            If IsNumeric(v) Then
                s = NumText(CDbl(v))
            Else
                s = CStr(v)
            End If
    End Select
    ValueText = s
End Function

Private Function IsTemplateLayout(ByVal ws As Object) As Boolean
    ' perfbook.readers.reader.match_role: at least LAYOUT_MATCH of the labels one template sheet prints above its
    ' indicator row stand in the same cells (spaces ignored)
    Dim vals As Variant, k As Long, sh As Long, n As Long, hit As Long, best As Double
    If NLayout = 0 Then Exit Function
    vals = ws.Range(ws.Cells(1, 1), ws.Cells(LayoutMaxRow, LayoutMaxCol)).Value
    For sh = 1 To NLayoutSheets
        n = 0
        hit = 0
        For k = 1 To NLayout
            If LaySheet(k) = sh Then
                n = n + 1
                If NoWs(ValueText(vals(LayRow(k), LayCol(k)))) = LayText(k) Then hit = hit + 1
            End If
        Next k
        If n > 0 Then
            If hit / n > best Then best = hit / n
        End If
    Next sh
    IsTemplateLayout = best >= LAYOUT_MATCH
End Function

Private Function LabelField(ByVal s0 As String) As Long
    ' the indicator field a header label names (0: none)
    Dim k As String, f As Long
    k = LabelKey(s0)
    If k = "" Then Exit Function
    For f = 1 To NFields
        If InList(FieldKeys(f), k) Then
            LabelField = f
            Exit Function
        End If
    Next f
End Function

Private Function FieldIndex(ByVal name As String) As Long
    Dim f As Long
    For f = 1 To NFields
        If FieldName(f) = name Then
            FieldIndex = f
            Exit Function
        End If
    Next f
End Function

Private Function FindTable(ByVal ws As Object) As Boolean
    ' the header row: at least 3 indicator labels, one of them the level-3 name or the value (a label
    ' in a vertically merged cell counts on every row it spans, so a two-row header is found on its
    ' lower row); the values are read in one call, merges are asked for only where a label is
    Dim lastRow As Long, lastCol As Long, r As Long, c As Long, f As Long, found As Long, nRows As Long
    Dim cols() As Long, vlab() As Long, vbot() As Long, bottom As Long, vals As Variant, txt As String
    Dim area As Object
    Set mWs = ws
    mHdrScanned = False
    mHeadRead = False
    fL1 = FieldIndex("level1"): fL2 = FieldIndex("level2"): fName = FieldIndex("name")
    fSign = FieldIndex("sign"): fValue = FieldIndex("value"): fUnit = FieldIndex("unit")
    fAttr = FieldIndex("attr"): fEval = FieldIndex("eval_std")
    lastRow = ws.UsedRange.Row + ws.UsedRange.Rows.Count - 1
    lastCol = ws.UsedRange.Column + ws.UsedRange.Columns.Count - 1
    If lastCol > SCAN_COLS Then lastCol = SCAN_COLS
    nRows = lastRow
    If nRows > SCAN_ROWS Then nRows = SCAN_ROWS
    If nRows < 1 Or lastCol < 1 Then Exit Function
    vals = ws.Range(ws.Cells(1, 1), ws.Cells(nRows, lastCol)).Value
    If Not IsArray(vals) Then Exit Function
    ReDim vlab(1 To lastCol): ReDim vbot(1 To lastCol)
    For r = 1 To nRows
        ReDim cols(1 To NFields)
        found = 0
        bottom = r
        For c = 1 To lastCol
            f = 0
            txt = ""
            If VarType(vals(r, c)) = vbString Then txt = CStr(vals(r, c))
            If txt <> "" Then
                If Len(txt) < 40 Then f = LabelField(txt)
                If f > 0 Then
                    Set area = ws.Cells(r, c).MergeArea
                    vlab(c) = f
                    vbot(c) = area.Row + area.Rows.Count - 1
                Else
                    vlab(c) = 0
                    vbot(c) = 0
                End If
            ElseIf vbot(c) >= r Then
                f = vlab(c)
            End If
            If f > 0 Then
                If cols(f) = 0 Then
                    cols(f) = c
                    found = found + 1
                    If vbot(c) > bottom Then bottom = vbot(c)
                End If
            End If
        Next c
        If found >= MIN_HEADER_FIELDS And (cols(fName) > 0 Or cols(fValue) > 0) Then
            mCol = cols
            mHeader = r
            mFirst = bottom + 1
            mMaxCol = 0
            For f = 1 To NFields
                If mCol(f) > mMaxCol Then mMaxCol = mCol(f)
            Next f
            mLast = TableEnd(ws, lastRow)
            FindTable = True
            Exit Function
        End If
    Next r
End Function

Private Function TableEnd(ByVal ws As Object, ByVal lastRow As Long) As Long
    ' the last row before a footer (foreign.yaml footer_prefixes: notes, signatures)
    Dim r As Long, c As Long, txt As String, p As Variant, i As Long
    p = Items(FooterPrefixes)
    For r = mFirst To lastRow
        For c = 1 To mMaxCol
            txt = CellText(ws.Cells(r, c))
            If txt <> "" Then
                txt = PyStrip(txt)
                For i = 0 To UBound(p)
                    If Len(p(i)) > 0 Then
                        If StartsWith(txt, p(i)) Then
                            TableEnd = r - 1
                            Exit Function
                        End If
                    End If
                Next i
                Exit For
            End If
        Next c
    Next r
    TableEnd = lastRow
End Function

' ==== reading the rows =================================================================================

Private Sub ReadRows()
    ' the indicator rows as perfbook reads them (reader.read_shaped for the template's layout, else
    ' foreign.SheetReader.read_rows): a cell inside a merged range shows the range's value
    Dim r As Long, f As Long, n As Long, k As Long, vals As Variant, v As Variant, own As String, tx As String
    Dim i As Long, hasOwn As Boolean, hasRest As Boolean, cur1 As String, cur2 As String
    Dim hdr1 As Boolean, hdr2 As Boolean, isNum As Boolean, numV As Double, c As Object, tl As Object
    NR = 0
    n = mLast - mFirst + 1
    If n < 1 Then n = 1
    ReDim RRow(1 To n): ReDim RV(1 To n, 1 To NFields): ReDim RRaw(1 To n, 1 To NFields)
    ReDim RCol(1 To n, 1 To NFields): ReDim RIsNum(1 To n): ReDim RNumV(1 To n): ReDim RNaSplit(1 To n)
    NLv = 0
    ReDim LvRow(1 To n): ReDim LvL1(1 To n): ReDim LvL2(1 To n)
    mTemplate = IsTemplateLayout(mWs)
    If mLast < mFirst Then Exit Sub
    vals = mWs.Range(mWs.Cells(mFirst, 1), mWs.Cells(mLast, mMaxCol)).Value
    For r = mFirst To mLast
        k = r - mFirst + 1
        i = NR + 1
        hasOwn = False
        hasRest = False
        isNum = False
        numV = 0
        For f = 1 To NFields
            RV(i, f) = ""
            RRaw(i, f) = ""
            RCol(i, f) = 0
            If mCol(f) > 0 Then
                v = vals(k, mCol(f))
                If VarType(v) = vbError Then
                    own = CellText(mWs.Cells(r, mCol(f)))
                Else
                    own = ValueText(v)
                End If
                tx = own
                If own <> "" Then
                    hasOwn = True
                    If f = fValue Then isNum = IsNumberValue(v, numV)
                Else
                    Set c = mWs.Cells(r, mCol(f))
                    If c.MergeCells Then
                        Set tl = c.MergeArea.Cells(1, 1)
                        If tl.Row <> r Or tl.Column <> c.Column Then
                            tx = CellText(tl)
                            If f = fValue And tx <> "" Then isNum = IsNumberValue(tl.Value, numV)
                        End If
                    End If
                End If
                If Not mTemplate And tx <> "" And Not (f = fValue And isNum) Then
                    If f = fEval Or FieldName(f) = "content" Or FieldName(f) = "basis" Then
                        tx = CleanText(tx, True)
                    Else
                        tx = CleanText(tx, False)
                    End If
                    If InList(EmptyMarkers, tx) Then tx = ""
                    If tx <> "" Then RRaw(i, f) = own
                End If
                If f = fValue And tx = "" Then isNum = False
                RV(i, f) = tx
                If tx <> "" Then
                    RCol(i, f) = mCol(f)
                    If f <> fL1 And f <> fL2 Then hasRest = True
                End If
            End If
        Next f
        If RV(i, fL1) <> "" Or RV(i, fL2) <> "" Then
            If hasOwn Or Not mTemplate Then
                NLv = NLv + 1
                LvRow(NLv) = r: LvL1(NLv) = RV(i, fL1): LvL2(NLv) = RV(i, fL2)
            End If
        End If
        If mTemplate Then
            ' a row is an indicator when one of its own cells holds something
            If hasOwn Then AddRow r, isNum, numV
        ElseIf hasRest Then
            ' a row under a heading row takes the heading's level 1 / level 2
            If RV(i, fL1) = "" And hdr1 And cur1 <> "" Then RV(i, fL1) = cur1
            If RV(i, fL2) = "" And hdr2 And cur2 <> "" And RV(i, fL1) = cur1 Then RV(i, fL2) = cur2
            AddRow r, isNum, numV
            SplitRow NR
        ElseIf RV(i, fL1) <> "" And RV(i, fL2) = "" Then
            ' a heading row: only a level 1, or only a level 2 (or a pre-printed level 2 left empty)
            cur1 = RV(i, fL1)
            cur2 = ""
            hdr1 = True
            hdr2 = False
        ElseIf RV(i, fL2) <> "" And RV(i, fL1) = "" Then
            cur2 = RV(i, fL2)
            hdr2 = True
        ElseIf RV(i, fL2) <> "" And (hdr1 Or hdr2) Then
            cur1 = RV(i, fL1)
            cur2 = RV(i, fL2)
        End If
    Next r
End Sub

Private Sub AddRow(ByVal r As Long, ByVal isNum As Boolean, ByVal numV As Double)
    NR = NR + 1
    RRow(NR) = r
    RIsNum(NR) = isNum
    RNumV(NR) = numV
    RNaSplit(NR) = False
End Sub

Private Function IsNumberValue(ByVal v As Variant, ByRef numV As Double) As Boolean
    Select Case VarType(v)
        Case vbInteger, vbLong, vbSingle, vbDouble, vbCurrency, vbDecimal
            numV = CDbl(v)
            IsNumberValue = True
    End Select
End Function

Private Sub SplitRow(ByVal i As Long)
    ' perfbook.readers._foreign.SheetReader.indicator: a combined value cell gives the sign and the unit the row
    ' left empty (found then in the value cell), and the value becomes the bare number
    Dim v As String, sg As String, num As String, unit As String, kind As Long, clash As Boolean
    v = RV(i, fValue)
    If v = "" Then
        If InList(NaWords, NoWs(NfkcLite(RV(i, fName)))) Then RNaSplit(i) = True
        Exit Sub
    End If
    If RIsNum(i) Then
        kind = SPLIT_NUMBER
        sg = T("glyph_equal")
    Else
        kind = SplitKind(v, sg, num, unit)
    End If
    If kind = SPLIT_NA Then
        RNaSplit(i) = True
        Exit Sub
    End If
    If kind = SPLIT_UNREADABLE Then Exit Sub
    If RV(i, fSign) = "" Then
        RV(i, fSign) = sg
        RCol(i, fSign) = mCol(fValue)
    End If
    If kind <> SPLIT_NUMBER Or RIsNum(i) Then Exit Sub
    clash = RV(i, fUnit) <> "" And unit <> "" And unit <> RV(i, fUnit)
    If num <> v And Not clash Then
        RV(i, fValue) = num
        RIsNum(i) = True
        RNumV(i) = Val(num)
        If RV(i, fUnit) = "" And unit <> "" Then
            RV(i, fUnit) = unit
            RCol(i, fUnit) = mCol(fValue)
        End If
    End If
End Sub

Private Function Val1(ByVal i As Long, ByVal f As Long) As String
    If f > 0 Then Val1 = RV(i, f)
End Function

' ==== the frame ========================================================================================

Private Function FrameIndex(ByVal id As String) As Long
    Dim k As Long
    For k = 1 To NFrames
        If FrId(k) = id Then
            FrameIndex = k
            Exit Function
        End If
    Next k
End Function

Private Function RecordedFrame() As String
    ' the frame the workbook records: the document property perfbook.frame that fill writes, else the
    ' defined name T("frame_name") = "frame-id" that the workbook's formulas were generated for
    Dim s As String
    On Error Resume Next
    s = CStr(mWs.Parent.CustomDocumentProperties("perfbook.frame").Value)
    If FrameIndex(s) > 0 Then
        RecordedFrame = s
        Exit Function
    End If
    s = ""
    s = mWs.Parent.Names(T("frame_name")).RefersTo
    On Error GoTo 0
    s = Trim(s)
    If Left(s, 1) = "=" Then s = Mid(s, 2)
    If Left(s, 1) = """" Then s = Mid(s, 2)
    If Right(s, 1) = """" Then s = Left(s, Len(s) - 1)
    RecordedFrame = s
End Function

Private Sub ResolveFrame()
    Dim id As String
    id = RecordedFrame()
    If FrameIndex(id) = 0 Then id = DEFAULT_FRAME
    If FrameIndex(id) = 0 Then id = DetectFrame()
    If FrameIndex(id) = 0 Then id = FALLBACK_FRAME
    mFrame = FrameIndex(id)
    If mFrame = 0 Then mFrame = 1
    mFrameTitle = FrTitle(mFrame)
End Sub

Private Function DetectFrame() As String
    ' perfbook.rules._frames.detect: the frame whose tree best explains the (level 1, level 2) names seen; a pair
    ' spelled exactly as the frame does scores 2, after normalising 1, not at all -2; each required
    ' group left empty costs 1; ties go to the earlier frame
    Dim k As Long, i As Long, score As Double, best As Double, bestId As String
    Dim l1 As Long, l2 As Long, seen As String, a As String, b As String, q As Long, exact As Boolean
    best = -1E+30
    For k = 1 To NFrames
        score = 0
        seen = SEP
        a = ""
        For i = 1 To NR
            If Val1(i, fL1) <> "" Then a = Val1(i, fL1)
            b = Val1(i, fL2)
            If a <> "" Or b <> "" Then
                l1 = Find1(k, a)
                If l1 = 0 Then
                    score = score - 2
                Else
                    l2 = Find2(l1, b)
                    If b <> "" And l2 = 0 Then
                        score = score - 2
                    Else
                        exact = InList(L1Exact(l1), a)
                        If b <> "" Then exact = exact And InList(L2Exact(l2), b)
                        If exact Then
                            score = score + 2
                        Else
                            score = score + 1
                        End If
                        Ad seen, CStr(l1) & "/" & CStr(l2)
                    End If
                End If
            End If
        Next i
        For q = FrL1First(k) To FrL1Last(k)
            If L1Min(q) > 0 Then
                If InStr(seen, SEP & CStr(q) & "/") = 0 Then score = score - 1
            End If
            For l2 = L1L2First(q) To L1L2Last(q)
                If L2Req(l2) Then
                    If Not InList(seen, CStr(q) & "/" & CStr(l2)) Then score = score - 1
                End If
            Next l2
        Next q
        If score > best Then
            best = score
            bestId = FrId(k)
        End If
    Next k
    DetectFrame = bestId
End Function

Private Function Find1(ByVal k As Long, ByVal name As String) As Long
    Dim key As String, q As Long
    key = NormName(name)
    If key = "" Then Exit Function
    For q = FrL1First(k) To FrL1Last(k)
        If InList(L1Keys(q), key) Then
            Find1 = q
            Exit Function
        End If
    Next q
End Function

Private Function Find2(ByVal l1 As Long, ByVal name As String) As Long
    Dim key As String, q As Long
    If l1 = 0 Then Exit Function
    key = NormName(name)
    If key = "" Then Exit Function
    For q = L1L2First(l1) To L1L2Last(l1)
        If InList(L2Keys(q), key) Then
            Find2 = q
            Exit Function
        End If
    Next q
End Function

Private Function FrameNames(ByVal k As Long) As String
    ' every level-1 and level-2 name and alias of the frame, normalised
    Dim q As Long, s As String, l2 As Long
    s = SEP
    For q = FrL1First(k) To FrL1Last(k)
        s = s & Mid(L1Keys(q), 2)
        For l2 = L1L2First(q) To L1L2Last(q)
            s = s & Mid(L2Keys(l2), 2)
        Next l2
    Next q
    FrameNames = s
End Function

' ==== row facts ========================================================================================

Private Function SignOf(ByVal s0 As String) As String
    ' perfbook._comparators.canonical_sign: the system glyph for a typed comparator ("" when none)
    Dim tx As String, g As String
    tx = PyStrip(s0)
    If tx = "" Then Exit Function
    g = Lookup(SignSpell, SignGlyph, tx)
    If g = "" Then g = Lookup(SignSpell, SignGlyph, NfkcLite(tx))
    SignOf = g
End Function

Private Function IsNa(ByVal v As String) As Boolean
    If v = "" Then Exit Function
    IsNa = InListCI(NaWords, NoSpace(v))
End Function

Private Function IsPlaceholder(ByVal v As String, ByVal isNum As Boolean) As Boolean
    If v = "" Or isNum Then Exit Function
    If ContainsAny(PPhContains, UCase(v)) <> "" Then
        IsPlaceholder = True
    ElseIf InListCI(PPhExact, TrimX(v)) Then
        IsPlaceholder = True
    End If
End Function

Private Function IsBareNumber(ByVal v As String, ByVal isNum As Boolean) As Boolean
    ' PerfUtil.isNumeric: -?digits(.digits)? and nothing else (full-width digits count)
    Dim i As Long, n As Long, ch As String, dots As Long, digitsBefore As Long, digitsAfter As Long
    If isNum Then
        IsBareNumber = True
        Exit Function
    End If
    n = Len(v)
    If n = 0 Then Exit Function
    i = 1
    If Left(v, 1) = "-" Then i = 2
    For i = i To n
        ch = Mid(v, i, 1)
        If ch = "." Then
            dots = dots + 1
            If dots > 1 Or digitsBefore = 0 Then Exit Function
        ElseIf IsDigitIn(ch, PDigits) Then
            If dots = 0 Then
                digitsBefore = digitsBefore + 1
            Else
                digitsAfter = digitsAfter + 1
            End If
        Else
            Exit Function
        End If
    Next i
    IsBareNumber = digitsBefore > 0 And (dots = 0 Or digitsAfter > 0)
End Function

Private Function ScoreOf(ByVal s0 As String, ByRef score As Double) As Boolean
    ' the leading score of the scoring-standard text ("12 fen, ..." -> 12; rules.yaml score_pattern)
    Dim i As Long, n As Long, num As String, ch As String, dot As Boolean
    n = Len(s0)
    i = 1
    Do While i <= n
        If Not IsWs(Mid(s0, i, 1)) Then Exit Do
        i = i + 1
    Loop
    Do While i <= n
        ch = Mid(s0, i, 1)
        If IsAsciiDigit(ch) Then
            num = num & ch
        ElseIf ch = "." And Not dot And num <> "" And IsAsciiDigit(Mid(s0, i + 1, 1)) Then
            num = num & ch
            dot = True
        Else
            Exit Do
        End If
        i = i + 1
    Loop
    If num = "" Then Exit Function
    Do While i <= n
        If Not IsWs(Mid(s0, i, 1)) Then Exit Do
        i = i + 1
    Loop
    If Mid(s0, i, 1) = T("fen") Then
        score = Val(num)
        ScoreOf = True
    End If
End Function

Private Sub BuildFacts()
    Dim i As Long, prev1 As String, prev2 As String, e1 As String, e2 As String, attr As String, g As String
    Dim sc As Double
    ReDim RSign(1 To NR + 1): ReDim RE1(1 To NR + 1): ReDim RE2(1 To NR + 1)
    ReDim RL1(1 To NR + 1): ReDim RL2(1 To NR + 1): ReDim RCat(1 To NR + 1)
    ReDim RSg(1 To NR + 1): ReDim RAk(1 To NR + 1): ReDim RSk(1 To NR + 1): ReDim RKind(1 To NR + 1)
    ReDim RNa(1 To NR + 1): ReDim RPhv(1 To NR + 1): ReDim RNum(1 To NR + 1)
    ReDim RHasScore(1 To NR + 1): ReDim RScore(1 To NR + 1)
    For i = 1 To NR
        If Val1(i, fL1) <> "" Then
            e1 = Val1(i, fL1)
        Else
            e1 = prev1
        End If
        If Val1(i, fL2) <> "" Then
            e2 = Val1(i, fL2)
        ElseIf e1 <> prev1 Then
            e2 = ""
        Else
            e2 = prev2
        End If
        prev1 = e1: prev2 = e2
        RE1(i) = e1: RE2(i) = e2
        RL1(i) = Find1(mFrame, e1)
        RL2(i) = Find2(RL1(i), e2)
        RCat(i) = ""
        If RL2(i) > 0 Then RCat(i) = L2Cat(RL2(i))
        If RCat(i) = "" And RL1(i) > 0 Then RCat(i) = L1Cat(RL1(i))
        g = SignOf(Val1(i, fSign))
        If g <> "" Then
            RSign(i) = g
        Else
            RSign(i) = Val1(i, fSign)
        End If
        If InList(Glyphs, RSign(i)) Then
            RSg(i) = RSign(i)
        Else
            RSg(i) = ""
        End If
        attr = TrimX(Val1(i, fAttr))
        RAk(i) = ""
        If attr <> "" Then
            If InListCI(PAttrQuant, attr) Then
                RAk(i) = T("kind_quant")
            ElseIf InListCI(PAttrQual, attr) Then
                RAk(i) = T("kind_qual")
            End If
        End If
        RSk(i) = ""
        If RSg(i) <> "" Then
            If RSg(i) = T("glyph_qual") Then
                RSk(i) = T("kind_qual")
            Else
                RSk(i) = T("kind_quant")
            End If
        End If
        If RAk(i) <> "" Then
            RKind(i) = RAk(i)
        Else
            RKind(i) = RSk(i)
        End If
        RNa(i) = IsNa(Val1(i, fName)) Or IsNa(Val1(i, fValue)) Or RNaSplit(i)
        RPhv(i) = IsPlaceholder(Val1(i, fValue), RIsNum(i))
        RNum(i) = IsBareNumber(Val1(i, fValue), RIsNum(i))
        RHasScore(i) = ScoreOf(Val1(i, fEval), sc)
        RScore(i) = sc
        sc = 0
    Next i
End Sub

' ==== findings =========================================================================================

Private Sub Hit(ByVal k As Long, ByVal f As Long, ByVal i As Long, ByVal msg As String, ByVal fx As String)
    ' a finding of rule k at field f (an indicator field; 0: none) of row i (0: the project)
    Dim addr As String, c As Long
    If i > 0 And f > 0 Then
        c = ColFor(i, f)
        If c > 0 Then addr = ColLetter(c) & RRow(i)
    End If
    AddFinding k, addr, i, msg, fx
End Sub

Private Function ColFor(ByVal i As Long, ByVal f As Long) As Long
    ' perfbook.rules.check.Locator: the row's cell of field f; else the column where the other rows have it;
    ' on the template's layout its column; on a foreign table the sign and the unit live in the combined
    ' value cell; else none (the message names the row)
    Dim j As Long
    If f = 0 Then Exit Function
    If RCol(i, f) > 0 Then
        ColFor = RCol(i, f)
        Exit Function
    End If
    For j = 1 To NR
        If RCol(j, f) > 0 Then
            ColFor = RCol(j, f)
            Exit Function
        End If
    Next j
    If mTemplate Then
        ColFor = mCol(f)
    ElseIf f = fSign Or f = fUnit Then
        ColFor = ColFor(i, fValue)
    End If
End Function

Private Sub AddFinding(ByVal k As Long, ByVal addr As String, ByVal i As Long, ByVal msg As String, ByVal fx As String)
    If addr = "" And i > 0 Then
        msg = Fmt(T("row_prefix"), "n", i) & IIf(Val1(i, fName) <> "", Fmt(T("row_name"), "name", Val1(i, fName)), "") _
            & T("row_colon") & msg
    End If
    NF = NF + 1
    ReDim Preserve FRule(1 To NF): ReDim Preserve FSev(1 To NF): ReDim Preserve FMsg(1 To NF)
    ReDim Preserve FFix(1 To NF): ReDim Preserve FAddr(1 To NF): ReDim Preserve FMore(1 To NF)
    FRule(NF) = RuleId(k): FSev(NF) = RuleSev(k): FMsg(NF) = msg: FFix(NF) = fx: FAddr(NF) = addr
    FMore(NF) = ""
End Sub

Private Function AddrRow(ByVal addr As String) As Long
    Dim i As Long, d As String
    For i = 1 To Len(addr)
        If Mid(addr, i, 1) Like "#" Then d = d & Mid(addr, i, 1)
    Next i
    If d <> "" Then AddrRow = CLng(d)
End Function

Private Sub PresentFindings()
    ' perfbook.rules.findings.presented: a folding rule's findings made one (the first's place, every cell
    ' listed), then ordered by severity, then row, else as found (a stable insertion sort)
    Dim j As Long, i As Long, k As Long, n As Long, firstOf() As Long, cnt() As Long, lst() As String
    Dim keep() As Boolean, idx() As Long, sk() As Double, t As Long, tk As Double
    Dim a1() As String, a2() As String, a3() As String, a4() As String, a5() As String, a6() As String
    If NF = 0 Then Exit Sub
    ReDim firstOf(1 To NRules): ReDim cnt(1 To NF): ReDim lst(1 To NF): ReDim keep(1 To NF)
    For j = 1 To NF
        keep(j) = True
        k = RuleIndex(FRule(j))
        If k > 0 And FAddr(j) <> "" Then
            If RuleFold(k) <> "" Then
                If firstOf(k) = 0 Then
                    firstOf(k) = j
                    cnt(j) = 1
                    lst(j) = FAddr(j)
                Else
                    i = firstOf(k)
                    cnt(i) = cnt(i) + 1
                    lst(i) = lst(i) & ChrW(&H3001) & FAddr(j)
                    If FMore(i) = "" Then FMore(i) = SEP
                    FMore(i) = FMore(i) & FAddr(j) & SEP
                    FMsg(i) = Fmt(RuleFold(k), "count", cnt(i), "cells", lst(i))
                    keep(j) = False
                End If
            End If
        End If
    Next j
    n = 0
    ReDim idx(1 To NF): ReDim sk(1 To NF)
    For j = 1 To NF
        If keep(j) Then
            t = j
            tk = (3 - SevRank(FSev(t))) * 10000000# + AddrRow(FAddr(t))
            i = n
            Do While i >= 1
                If sk(i) <= tk Then Exit Do
                idx(i + 1) = idx(i): sk(i + 1) = sk(i)
                i = i - 1
            Loop
            idx(i + 1) = t: sk(i + 1) = tk
            n = n + 1
        End If
    Next j
    ReDim a1(1 To n): ReDim a2(1 To n): ReDim a3(1 To n): ReDim a4(1 To n): ReDim a5(1 To n): ReDim a6(1 To n)
    For j = 1 To n
        i = idx(j)
        a1(j) = FRule(i): a2(j) = FSev(i): a3(j) = FMsg(i): a4(j) = FFix(i): a5(j) = FAddr(i): a6(j) = FMore(i)
    Next j
    NF = n
    ReDim FRule(1 To n): ReDim FSev(1 To n): ReDim FMsg(1 To n): ReDim FFix(1 To n): ReDim FAddr(1 To n)
    ReDim FMore(1 To n)
    For j = 1 To n
        FRule(j) = a1(j): FSev(j) = a2(j): FMsg(j) = a3(j): FFix(j) = a4(j): FAddr(j) = a5(j): FMore(j) = a6(j)
    Next j
End Sub

Private Function RuleIndex(ByVal id As String) As Long
    Dim k As Long
    For k = 1 To NRules
        If RuleId(k) = id Then
            RuleIndex = k
            Exit Function
        End If
    Next k
End Function

Private Sub RunRules()
    ' the rules' conditions are generated from rules.yaml into PerfbookRules (RunRowRule / RunProjectRule)
    Dim i As Long, k As Long
    NF = 0
    For i = 1 To NR
        For k = 1 To NRules
            If RuleScope(k) = "row" Then RunRowRule k, i
        Next k
    Next i
    For k = 1 To NRules
        If RuleScope(k) = "project" Then RunProjectRule k, 0
    Next k
End Sub

Private Function IsPercent(ByVal unit As String) As Boolean
    If unit = "" Then Exit Function
    IsPercent = InList(PercentList, TrimX(unit))
End Function

Private Function FieldOfLabel(ByVal label As String) As Long
    Dim f As Long
    For f = 1 To NFields
        If FieldLabel(f) = label Then
            FieldOfLabel = f
            Exit Function
        End If
    Next f
End Function

' ==== what the generated rules read (perfbook/rules/_vba.py): the row, the header, the frame ==========

Public Function XFieldN(ByVal i As Long, ByVal name As String) As Variant
    ' row i's field by its fields.yaml name, as perfbook's model holds it (a number cell as a number,
    ' a comparator as its system glyph)
    Dim f As Long
    f = FieldIndex(name)
    XFieldN = ""
    If f = 0 Or i < 1 Then Exit Function
    If f = fValue And RIsNum(i) Then
        XFieldN = RNumV(i)
    ElseIf f = fSign Then
        XFieldN = RSign(i)
    Else
        XFieldN = Val1(i, f)
    End If
End Function

Public Function XFieldL(ByVal i As Long, ByVal label As String) As Variant
    Dim f As Long
    If i = 0 Then
        XFieldL = XProjL(label)
        Exit Function
    End If
    f = FieldOfLabel(label)
    XFieldL = ""
    If f > 0 Then XFieldL = XFieldN(i, FieldName(f))
End Function

Public Function XTyped(ByVal i As Long, ByVal label As Variant) As Variant
    ' the cell's text as typed (stray-space): a foreign table's cells are read cleaned, the typed text kept
    Dim f As Long
    f = FieldOfLabel(XShow(label))
    XTyped = ""
    If f = 0 Then Exit Function
    If mTemplate Then
        If Not (f = fValue And RIsNum(i)) Then XTyped = Val1(i, f)
    Else
        XTyped = RRaw(i, f)
    End If
End Function

Public Function XHasField(ByVal label As String) As Boolean
    ' the sheet has this header field above its indicator table, filled or not
    Dim txt As String
    XHasField = HeaderCell(label, txt) <> ""
End Function

Public Function XProj(ByVal name As String) As Variant
    XProj = XProjL(ProjLabel(ProjIndex(name)))
End Function

Private Function XProjL(ByVal label As String) As Variant
    Dim addr As String, txt As String, v As Double
    addr = HeaderCell(label, txt)
    If HeaderNumber(addr, v) Then
        XProjL = v
    Else
        XProjL = txt
    End If
End Function

Public Function XFact(ByVal i As Long, ByVal key As String) As Variant
    ' the helper facts (perfbook.rules._catalog.RowFacts; the workbook's hidden helper columns)
    XFact = ""
    If i < 1 Then Exit Function
    Select Case key
        Case "e1"
            XFact = RE1(i)
        Case "e2"
            XFact = RE2(i)
        Case "k1"
            If RL1(i) > 0 Then XFact = L1Name(RL1(i))
        Case "k2"
            If RL2(i) > 0 Then XFact = L2Name(RL2(i))
        Case "cat"
            XFact = RCat(i)
        Case "sg"
            XFact = RSg(i)
        Case "ak"
            XFact = RAk(i)
        Case "sk"
            XFact = RSk(i)
        Case "kind"
            XFact = RKind(i)
        Case "na"
            XFact = RNa(i)
        Case "phv"
            XFact = RPhv(i)
        Case "num"
            XFact = RNum(i)
        Case "score"
            If RHasScore(i) Then XFact = RScore(i)
    End Select
End Function

Public Function XRows() As Long
    XRows = NR
End Function

Public Function XRowLabel(ByVal j As Long) As String
    XRowLabel = Fmt(T("first_row"), "row", RRow(j))
End Function

Private Function Pair(ByVal l1 As String, ByVal l2 As String, ByVal minimum As Long, ByVal label As String) As String
    Pair = "level1=" & l1 & ChrW(30) & "level2=" & l2 & ChrW(30) & "minimum=" & minimum & ChrW(30) & "label=" & label
End Function

Public Function XFrame(ByVal attr As String) As Variant
    Dim q As Long, l2 As Long, s As String
    Select Case attr
        Case "id"
            XFrame = FrId(mFrame)
        Case "title"
            XFrame = FrTitle(mFrame)
        Case "scored"
            XFrame = FrScored(mFrame)
        Case "not_applicable_rows"
            XFrame = FrNaRows(mFrame)
        Case "required_fields"
            XFrame = FrRequired(mFrame)
        Case "qualitative"
            XFrame = FrQual(mFrame)
        Case "units"
            XFrame = FrUnits(mFrame)
        Case "requirements", "groups"
            s = SEP
            For q = FrL1First(mFrame) To FrL1Last(mFrame)
                If attr = "requirements" And L1Min(q) > 0 Then s = s & Pair(L1Name(q), "", L1Min(q), L1Name(q)) & SEP
                For l2 = L1L2First(q) To L1L2Last(q)
                    If L2Req(l2) Or attr = "groups" Then
                        s = s & Pair(L1Name(q), L2Name(l2), 1, Fmt(T("group_label"), "l1", L1Name(q), "l2", L2Name(l2))) & SEP
                    End If
                Next l2
            Next q
            XFrame = s
    End Select
End Function

Public Sub XHit(ByVal k As Long, ByVal lab As String, ByVal at As Long, ByVal it As Variant, ByVal msg As String, ByVal fx As String, ByVal isProject As Boolean)
    ' a finding of rule k at field lab of row at (perfbook.rules.check.Locator): a frame group's finding at its
    ' group's row; a project finding without a row at its header cell, else the sheet's first cell
    Dim txt As String, addr As String
    fx = Reword(fx)
    If isProject And XAttr(it, "level1") <> "" Then addr = GroupCell(XAttr(it, "level1"), XAttr(it, "level2"), lab)
    If addr <> "" Then
        AddFinding k, addr, 0, msg, fx
    ElseIf isProject And at = 0 Then
        If lab <> "" Then addr = HeaderCell(lab, txt)
        If addr = "" Then addr = "A1"
        AddFinding k, addr, 0, msg, fx
    Else
        Hit k, FieldOfLabel(lab), at, msg, fx
    End If
End Sub

Private Function GroupCell(ByVal l1 As String, ByVal l2 As String, ByVal lab As String) As String
    ' perfbook.readers._sheetlayout.Layout.group_row: the row whose labels name the group (its level-3 name cell),
    ' else the first row of its level 1 (the field's column), else the table's header cell
    Dim j As Long, prev As String, cur As String, q As Long, q2 As Long, first1 As Long, hit As Long
    Dim c As Long, f As Long
    For j = 1 To NLv
        cur = LvL1(j)
        If cur = "" Then cur = prev
        prev = cur
        q = 0
        If cur <> "" Then q = Find1(mFrame, cur)
        If q > 0 Then
            If L1Name(q) = l1 Then
                If l2 = "" Then
                    hit = LvRow(j)
                    Exit For
                End If
                If first1 = 0 Then first1 = LvRow(j)
                q2 = 0
                If LvL2(j) <> "" Then q2 = Find2(q, LvL2(j))
                If q2 > 0 Then
                    If L2Name(q2) = l2 Then
                        hit = LvRow(j)
                        Exit For
                    End If
                End If
            End If
        End If
    Next j
    If hit > 0 Then
        c = mCol(fName)
        If c = 0 Then c = LabelCol(lab)
        GroupCell = ColLetter(c) & hit
    ElseIf first1 > 0 Then
        c = LabelCol(lab)
        If c > 0 Then GroupCell = ColLetter(c) & first1
    End If
    If GroupCell = "" Then
        c = 0
        For f = 1 To NFields
            If mCol(f) > 0 And (c = 0 Or mCol(f) < c) Then c = mCol(f)
        Next f
        If c > 0 Then GroupCell = ColLetter(c) & mHeader
    End If
End Function

Private Function LabelCol(ByVal lab As String) As Long
    ' the column of field lab (level 2 when none is named), else the level-1 column
    Dim f As Long
    If lab = "" Then lab = FieldLabel(fL2)
    f = FieldOfLabel(lab)
    If f > 0 Then LabelCol = mCol(f)
    If LabelCol = 0 Then LabelCol = mCol(fL1)
End Function

Private Function Heading(ByVal f As Long) As String
    ' the sheet's own name for field f's column (the Shenzhen form calls the value column "target value"),
    ' read once per check
    If Not mHeadRead Then
        Dim g As Long
        ReDim mHead(1 To NFields)
        For g = 1 To NFields
            If mCol(g) > 0 Then mHead(g) = NoWs(ValueText(mWs.Cells(mHeader, mCol(g)).Value))
            If mHead(g) = "" Then mHead(g) = FieldLabel(g)
        Next g
        mHeadRead = True
    End If
    Heading = mHead(f)
End Function

Public Function FixText(ByVal k As Long) As String
    ' perfbook.rules._advice.fix_text: rule k's fix worded for this sheet, its column placeholders filled
    Dim s As String, f As Long, own As Boolean
    s = RuleFix(k)
    If mTemplate Then
        FixText = s
        Exit Function
    End If
    If mCol(fSign) = 0 And mCol(fUnit) = 0 And RuleFixComb(k) <> "" Then
        s = RuleFixComb(k)
        own = True
    End If
    If RuleFixWo(k) <> "" Then
        f = FieldOfLabel(RuleFixWoField(k))
        If f > 0 Then
            If mCol(f) = 0 Then
                s = RuleFixWo(k)
                own = True
            End If
        End If
    End If
    If own Then
        For f = 1 To NFields
            If mCol(f) > 0 Then s = Replace(s, "{" & FieldLabel(f) & "}", Heading(f))
        Next f
    End If
    FixText = s
End Function

Private Function Reword(ByVal s As String) As String
    ' perfbook.rules._advice.reword: no drop-down phrases on a sheet without drop-downs; column names as the
    ' sheet prints them
    Dim olds As Variant, news As Variant, i As Long, f As Long, h As String
    If mTemplate Or s = "" Then
        Reword = s
        Exit Function
    End If
    olds = Items(ListOld): news = Items(ListNew)
    For i = 0 To UBound(olds)
        If olds(i) <> "" Then s = Replace(s, olds(i), news(i))
    Next i
    For f = 1 To NFields
        If mCol(f) > 0 Then
            h = Heading(f)
            If h <> FieldLabel(f) Then s = Rename(s, FieldLabel(f), h)
        End If
    Next f
    Reword = s
End Function

Private Function IsCjk(ByVal ch As String) As Boolean
    Dim c As Long
    If ch = "" Then Exit Function
    c = AscW(ch)
    If c < 0 Then c = c + 65536
    IsCjk = c >= &H4E00 And c <= &H9FFF
End Function

Private Function Rename(ByVal s As String, ByVal label As String, ByVal h As String) As String
    ' perfbook.rules._advice.rename: a column name standing alone (quoted, or not between two Chinese characters) renamed
    Dim i As Long, j As Long, q As Long, before As String, after As String, out As String
    i = 1
    Do
        j = InStr(i, s, label)
        If j = 0 Then Exit Do
        before = "": after = ""
        If j > 1 Then before = Mid(s, j - 1, 1)
        If j + Len(label) <= Len(s) Then after = Mid(s, j + Len(label), 1)
        q = 0
        If before = ChrW(&H201C) Then q = q + 1
        If after = ChrW(&H201D) Then q = q + 1
        If q = 2 Or (q = 0 And Not (IsCjk(before) And IsCjk(after))) Then
            out = out & Mid(s, i, j - i) & h
        Else
            out = out & Mid(s, i, j - i) & label
        End If
        i = j + Len(label)
    Loop
    Rename = out & Mid(s, i)
End Function

Public Function XIsPlaceholder(ByVal v As Variant) As Boolean
    XIsPlaceholder = IsPlaceholder(XShow(v), XIsNumber(v))
End Function

Public Function XIsPercent(ByVal v As Variant) As Boolean
    XIsPercent = IsPercent(XShow(v))
End Function

Public Function XIsUnit(ByVal v As Variant) As Boolean
    Dim tx As String
    tx = TrimX(XShow(v))
    XIsUnit = InList(UnitList, tx) Or InList(FrUnits(mFrame), tx) Or InList(UnitAliases, tx)
End Function

Public Function XSplit(ByVal v As Variant, ByVal part As Long) As Variant
    ' perfbook.rules._catalog._split: 0 whether typed text splits, 1 its sign, 2 its number, 3 its unit
    Dim sgn As String, num As String, unit As String, ok As Boolean
    If VarType(v) = vbString Then
        If v <> "" Then ok = SplitExplicit(CStr(v), sgn, num, unit)
    End If
    Select Case part
        Case 0
            XSplit = ok
        Case 1
            XSplit = IIf(ok, sgn, "")
        Case 2
            XSplit = IIf(ok, num, "")
        Case 3
            XSplit = IIf(ok, unit, "")
    End Select
End Function

Public Function XIsFrameName(ByVal v As Variant) As Boolean
    XIsFrameName = InList(FrameNames(mFrame), NormName(XShow(v)))
End Function

Public Function XLevel1Names() As String
    Dim q As Long, s As String
    s = SEP
    For q = FrL1First(mFrame) To FrL1Last(mFrame)
        s = s & L1Name(q) & SEP
    Next q
    XLevel1Names = s
End Function

Public Function XLevel2Names(ByVal i As Long) As String
    Dim q As Long, s As String
    s = SEP
    If RL1(i) > 0 Then
        For q = L1L2First(RL1(i)) To L1L2Last(RL1(i))
            s = s & L2Name(q) & SEP
        Next q
    End If
    XLevel2Names = s
End Function

Public Function XLevel1Of(ByVal v As Variant) As String
    Dim q As Long
    For q = FrL1First(mFrame) To FrL1Last(mFrame)
        If Find2(q, XShow(v)) > 0 Then
            XLevel1Of = L1Name(q)
            Exit Function
        End If
    Next q
End Function

Public Function XLevel1With(ByVal cat As Variant) As String
    Dim q As Long
    For q = FrL1First(mFrame) To FrL1Last(mFrame)
        If L1Cat(q) = XShow(cat) Then
            XLevel1With = L1Name(q)
            Exit Function
        End If
    Next q
End Function

Private Function ProjIndex(ByVal name As String) As Long
    Dim j As Long
    For j = 1 To NProj
        If ProjName(j) = name Then
            ProjIndex = j
            Exit Function
        End If
    Next j
End Function

Private Function ProjOfLabel(ByVal s0 As String) As Long
    ' the project field a header label names: exactly, or with its parenthesis removed (year in brackets)
    Dim k As String, j As Long, pass As Long
    For pass = 1 To 2
        k = LabelKey(s0)
        If pass = 2 Then k = StripParens(k)
        If k <> "" Then
            For j = 1 To NProj
                If InList(ProjKeys(j), k) Then
                    ProjOfLabel = j
                    Exit Function
                End If
            Next j
        End If
    Next pass
End Function

Private Function IsLabelCell(ByVal c As Object) As Boolean
    Dim txt As String
    txt = CellText(c.MergeArea.Cells(1, 1))
    If txt = "" Then Exit Function
    IsLabelCell = ProjOfLabel(txt) > 0 Or LabelField(txt) > 0
End Function

Private Function HeaderCell(ByVal label As String, ByRef txt As String) As String
    ' the address of a header field's value (right of its label, or below it), "" when the label is absent
    Dim j As Long
    txt = ""
    If Not mHdrScanned Then ScanHeader
    For j = 1 To NProj
        If ProjLabel(j) = label Then
            HeaderCell = mHdrAddr(j)
            txt = mHdrTxt(j)
            Exit Function
        End If
    Next j
End Function

Private Sub ScanHeader()
    ' every project label above the indicator table, once per check: where its value is, and the value
    Dim r As Long, c As Long, cell As Object, top As Object, want As Long, vals As Variant
    Dim rc As Object, dc As Object, area As Object
    ReDim mHdrAddr(1 To NProj): ReDim mHdrTxt(1 To NProj)
    mHdrScanned = True
    If mHeader <= 1 Or mMaxCol = 0 Then Exit Sub
    vals = mWs.Range(mWs.Cells(1, 1), mWs.Cells(mHeader, mMaxCol)).Value
    For r = 1 To mHeader - 1
        For c = 1 To mMaxCol
            If VarType(vals(r, c)) = vbString Then
                want = ProjOfLabel(CStr(vals(r, c)))
                If want > 0 Then
                    If mHdrAddr(want) = "" Then
                        Set cell = mWs.Cells(r, c)
                        Set area = cell.MergeArea
                        Set rc = mWs.Cells(r, area.Column + area.Columns.Count)
                        Set dc = mWs.Cells(area.Row + area.Rows.Count, c)
                        If CellText(rc) <> "" And Not IsLabelCell(rc) Then
                            Set cell = rc
                        ElseIf rc.MergeCells And rc.Column <= mMaxCol And Not IsLabelCell(rc) Then
                            ' an empty merged box to the right is where the value goes (a blank field),
                            ' not the unrelated text on the row below
                            Set cell = rc
                        ElseIf CellText(dc) <> "" And Not IsLabelCell(dc) And dc.Row < mHeader Then
                            Set cell = dc
                        ElseIf rc.Column <= mMaxCol And Not IsLabelCell(rc) Then
                            Set cell = rc
                        Else
                            Set cell = dc
                        End If
                        Set cell = cell.MergeArea.Cells(1, 1)
                        mHdrTxt(want) = CellText(cell)
                        mHdrAddr(want) = ColLetter(cell.Column) & cell.Row
                    End If
                End If
            End If
        Next c
    Next r
End Sub

Private Function HeaderNumber(ByVal addr As String, ByRef v As Double) As Boolean
    ' a number field of the header: a number cell, or text that is a plain number ("76", "1,200")
    Dim c As Object, x As Variant, s As String
    v = 0
    If addr = "" Then Exit Function
    Set c = mWs.Range(addr)
    x = c.Value
    Select Case VarType(x)
        Case vbInteger, vbLong, vbSingle, vbDouble, vbCurrency, vbDecimal
            v = CDbl(x)
            HeaderNumber = True
        Case vbString
            s = x
            If PyStrip(s) = s Then
                s = NfkcLite(Replace(s, ",", ""))
                If IsPyNumber(s) Then
                    v = Val(s)
                    HeaderNumber = True
                End If
            End If
    End Select
End Function

Private Function IsPyNumber(ByVal s As String) As Boolean
    ' perfbook._comparators.NUMBER_RE: -?(0|[1-9]\d*)(\.\d+)? and nothing else
    Dim i As Long, n As Long
    n = Len(s)
    i = 1
    If Mid(s, i, 1) = "-" Then i = 2
    If Mid(s, i, 1) = "0" Then
        i = i + 1
    ElseIf IsAsciiDigit(Mid(s, i, 1)) Then
        Do While IsAsciiDigit(Mid(s, i, 1))
            i = i + 1
        Loop
    Else
        Exit Function
    End If
    If i <= n Then
        If Mid(s, i, 1) <> "." Or Not IsAsciiDigit(Mid(s, i + 1, 1)) Then Exit Function
        i = i + 1
        Do While IsAsciiDigit(Mid(s, i, 1))
            i = i + 1
        Loop
    End If
    IsPyNumber = (i > n)
End Function

' ==== splitting a typed value (perfbook._values.split_value) ===========================================

Private Function NormSymbols(ByVal s As String) As String
    Dim i As Long, ch As String, out As String, a As Variant, b As Variant
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        If InList(KeepChars, ch) Then
            out = out & ch
        Else
            out = out & NfkcLite(ch)
        End If
    Next i
    a = Items(NormFrom)
    b = Items(NormTo)
    For i = 0 To UBound(a)
        If a(i) <> "" Then out = Replace(out, a(i), b(i))
    Next i
    NormSymbols = out
End Function

Private Function NoWs(ByVal s As String) As String
    Dim i As Long, ch As String, out As String
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        If Not IsWs(ch) Then out = out & ch
    Next i
    NoWs = out
End Function

Private Function IsUnitText(ByVal s As String) As Boolean
    ' values.py _UNIT: 1 to 6 characters, none a digit, a space or sentence punctuation
    Dim i As Long, ch As String, stops As String
    If Len(s) < 1 Or Len(s) > 6 Then Exit Function
    stops = ",;:!?()[]" & U("\uFF0C\u3002\uFF1B\uFF1A\uFF01\uFF1F\uFF08\uFF09\u3010\u3011\u3001")
    For i = 1 To Len(s)
        ch = Mid(s, i, 1)
        If IsAsciiDigit(ch) Or IsWs(ch) Then Exit Function
        If InStr(1, stops, ch, vbBinaryCompare) > 0 Then Exit Function
    Next i
    IsUnitText = True
End Function

Private Function HasDateOrRange(ByVal tx As String) As Boolean
    ' values.py _RANGE and _DATE on text without spaces
    Dim i As Long, n As Long, ch As String, nx As String, digitRun As Long, j As Long
    n = Len(tx)
    digitRun = 0
    For i = 1 To n
        ch = Mid(tx, i, 1)
        nx = Mid(tx, i + 1, 1)
        If IsAsciiDigit(ch) Then
            digitRun = digitRun + 1
            If InStr(1, "-~" & U("\u81F3\u5230"), nx, vbBinaryCompare) > 0 And nx <> "" Then
                If IsAsciiDigit(Mid(tx, i + 2, 1)) Then
                    HasDateOrRange = True
                    Exit Function
                End If
            End If
            If nx = U("\u5E74") And digitRun >= 4 Then
                HasDateOrRange = True
                Exit Function
            End If
            If nx = U("\u65E5") Or nx = U("\u53F7") Or nx = U("\u70B9") Then
                HasDateOrRange = True
                Exit Function
            End If
            If nx = U("\u65F6") And IsAsciiDigit(Mid(tx, i + 2, 1)) Then
                HasDateOrRange = True
                Exit Function
            End If
            If nx = U("\u6708") Then
                j = i + 2
                Do While IsAsciiDigit(Mid(tx, j, 1))
                    j = j + 1
                Loop
                If Mid(tx, j, 1) <> U("\u4E2A") Then
                    HasDateOrRange = True
                    Exit Function
                End If
            End If
            If digitRun >= 4 And (nx = "-" Or nx = "/" Or nx = ".") Then
                If DatePart2(tx, i + 2) Then
                    HasDateOrRange = True
                    Exit Function
                End If
            End If
        Else
            digitRun = 0
        End If
    Next i
End Function

Private Function DatePart2(ByVal tx As String, ByVal i As Long) As Boolean
    ' \d{1,2}[-/.]\d{1,2} starting at i
    Dim k As Long, ch As String
    k = 0
    Do While IsAsciiDigit(Mid(tx, i + k, 1)) And k < 2
        k = k + 1
    Loop
    If k = 0 Then Exit Function
    ch = Mid(tx, i + k, 1)
    If ch <> "-" And ch <> "/" And ch <> "." Then Exit Function
    DatePart2 = IsAsciiDigit(Mid(tx, i + k + 1, 1))
End Function

Private Function SplitValue(ByVal raw As String, ByRef sign As String, ByRef num As String, ByRef unit As String) As Boolean
    ' ">=95%" -> (>=, 95, %); False when the text is not one number with a comparator and unit around it
    Dim tx As String, i As Long, n As Long, a As Long, b As Long, head As String, rest As String
    Dim lw As Variant, lg As Variant, sw As Variant, sg As Variant, ap As Variant, runLen As Long
    sign = "": num = "": unit = ""
    If InList(NaWords, NoWs(NfkcLite(raw))) Then Exit Function
    tx = NoWs(NormSymbols(raw))
    Do While Len(tx) > 0 And InStr(1, U("\u3002.\uFF1B;\uFF0C,"), Right(tx, 1), vbBinaryCompare) > 0
        tx = Left(tx, Len(tx) - 1)
    Loop
    If Not HasDigit(tx) Then Exit Function
    ap = Items(ApproxWords)
    For i = 0 To UBound(ap)
        If ap(i) <> "" Then
            If InStr(1, tx, ap(i), vbBinaryCompare) > 0 Then
                tx = Replace(tx, ap(i), "", 1, 1)
                Exit For
            End If
        End If
    Next i
    ' the first number: [-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?
    n = Len(tx)
    a = 0
    For i = 1 To n
        If IsAsciiDigit(Mid(tx, i, 1)) Then
            a = i
            Exit For
        End If
    Next i
    If a = 0 Then Exit Function
    If HasDateOrRange(tx) Then Exit Function
    b = a
    Do While IsAsciiDigit(Mid(tx, b, 1))
        b = b + 1
    Loop
    runLen = b - a
    If runLen <= 3 And Mid(tx, b, 1) = "," And IsAsciiDigit(Mid(tx, b + 1, 1)) And IsAsciiDigit(Mid(tx, b + 2, 1)) _
            And IsAsciiDigit(Mid(tx, b + 3, 1)) Then
        Do While Mid(tx, b, 1) = "," And IsAsciiDigit(Mid(tx, b + 1, 1)) And IsAsciiDigit(Mid(tx, b + 2, 1)) _
                And IsAsciiDigit(Mid(tx, b + 3, 1))
            b = b + 4
        Loop
    End If
    If Mid(tx, b, 1) = "." And IsAsciiDigit(Mid(tx, b + 1, 1)) Then
        b = b + 1
        Do While IsAsciiDigit(Mid(tx, b, 1))
            b = b + 1
        Loop
    End If
    If a > 1 Then
        If Mid(tx, a - 1, 1) = "-" Or Mid(tx, a - 1, 1) = "+" Then a = a - 1
    End If
    num = Mid(tx, a, b - a)
    head = Left(tx, a - 1)
    rest = Mid(tx, b)
    lw = Items(LeadWords): lg = Items(LeadGlyphs)
    For i = 0 To UBound(lw)
        If lw(i) <> "" Then
            If EndsWith(head, lw(i)) Then
                sign = lg(i)
                head = Left(head, Len(head) - Len(lw(i)))
                Exit For
            End If
        End If
    Next i
    If Len(head) > 24 Then Exit Function
    If EndsWith(head, U("\u7B2C")) Or EndsWith(head, "-") Or EndsWith(head, "+") Or EndsWith(head, ".") Then Exit Function
    For i = 1 To Len(head)
        If InStr(1, "0123456789," & U("\uFF0C;\uFF1B\u3001"), Mid(head, i, 1), vbBinaryCompare) > 0 Then Exit Function
    Next i
    If sign = "" Then
        For i = 0 To UBound(lw)
            If Len(lw(i)) > 1 Then
                If InStr(1, head, lw(i), vbBinaryCompare) > 0 Then Exit Function
            End If
        Next i
    End If
    sw = Items(SufWords): sg = Items(SufGlyphs)
    For i = 0 To UBound(sw)
        If sw(i) <> "" Then
            If EndsWith(rest, sw(i)) Then
                If rest = sw(i) Or IsUnitText(Left(rest, Len(rest) - Len(sw(i)))) Then
                    sign = sg(i)
                    rest = Left(rest, Len(rest) - Len(sw(i)))
                    Exit For
                End If
            End If
        End If
    Next i
    If rest <> "" Then
        If Not IsUnitText(rest) Then Exit Function
        For i = 0 To UBound(sw)
            If sw(i) <> "" Then
                If InStr(1, rest, sw(i), vbBinaryCompare) > 0 Then Exit Function
            End If
        Next i
    End If
    If sign = "" Then sign = T("glyph_equal")
    num = Replace(num, ",", "")
    If Left(num, 1) = "+" Then num = Mid(num, 2)
    num = NumText(Val(num))
    unit = rest
    SplitValue = True
End Function

Private Function SplitKind(ByVal raw As String, ByRef sign As String, ByRef num As String, ByRef unit As String) As Long
    ' split_value in full: a number with its sign and unit; text with no digit is qualitative; a not-
    ' applicable word; or text that cannot be read apart (kept as typed)
    sign = "": num = "": unit = ""
    If InList(NaWords, NoWs(NfkcLite(raw))) Then
        SplitKind = SPLIT_NA
    ElseIf Not HasDigit(NoWs(NormSymbols(raw))) Then
        sign = T("glyph_qual")
        SplitKind = SPLIT_QUAL
    ElseIf SplitValue(raw, sign, num, unit) Then
        SplitKind = SPLIT_NUMBER
    Else
        sign = ""
        SplitKind = SPLIT_UNREADABLE
    End If
End Function

Private Function SplitExplicit(ByVal value As String, ByRef sign As String, ByRef num As String, ByRef unit As String) As Boolean
    ' perfbook.rules._catalog._split: a split that says more than a bare number (a unit, a sign, an explicit "=")
    If Not SplitValue(value, sign, num, unit) Then Exit Function
    SplitExplicit = unit <> "" Or sign <> T("glyph_equal") Or InStr(value, "=") > 0 _
        Or InStr(value, T("glyph_equal")) > 0 Or InStr(value, U("\u7B49\u4E8E")) > 0
End Function

' ==== marking the sheet =================================================================================

Private Function SevColor(ByVal sev As String) As Long
    If sev = T("severity_error") Then
        SevColor = COLOR_ERROR
    ElseIf sev = T("severity_warning") Then
        SevColor = COLOR_WARNING
    Else
        SevColor = COLOR_INFO
    End If
End Function

Private Function SevRank(ByVal sev As String) As Long
    If sev = T("severity_error") Then
        SevRank = 3
    ElseIf sev = T("severity_warning") Then
        SevRank = 2
    Else
        SevRank = 1
    End If
End Function

Private Function MarksSheet(ByVal create As Boolean) As Object
    Dim ws As Object, wb As Object
    Set wb = mWs.Parent
    On Error Resume Next
    Set ws = wb.Worksheets(T("marks_sheet"))
    On Error GoTo 0
    If ws Is Nothing And create Then
        Set ws = wb.Worksheets.Add(After:=wb.Worksheets(wb.Worksheets.Count))
        ws.Name = T("marks_sheet")
        ws.Cells(1, 1).Value = "sheet"
        ws.Cells(1, 2).Value = "cell"
        ws.Cells(1, 3).Value = "colorIndex"
        ws.Cells(1, 4).Value = "color"
        ws.Cells(1, 5).Value = "pattern"
        ws.Cells(1, 6).Value = "hadComment"
        ws.Cells(1, 7).Value = "comment"
        ws.Visible = XL_VERYHIDDEN
    End If
    Set MarksSheet = ws
End Function

Private Function ResultsSheet() As Object
    Dim ws As Object
    On Error Resume Next
    Set ws = mWs.Parent.Worksheets(T("results_sheet"))
    On Error GoTo 0
    Set ResultsSheet = ws
End Function

Private Sub MarkCells()
    ' each bad cell: filled in its severity's colour and commented; its first state recorded first
    Dim j As Long, i As Long, addr As String, c As Object, ms As Object, r As Long, txt As String
    Dim done As String, worst As String, ours As String, prefix As String, orig As String, had As Boolean
    Dim tl() As String, fi() As Long, np As Long, more As Variant, m As Long, p As Long
    If NF = 0 Then Exit Sub
    prefix = T("comment_prefix")
    done = SEP
    ' one (cell, finding) pair per cell a finding names: a folded finding names several
    np = 0
    ReDim tl(1 To NF): ReDim fi(1 To NF)
    For j = 1 To NF
        If FAddr(j) <> "" Then
            more = Items(IIf(FMore(j) = "", SEP, FMore(j)))
            For m = -1 To UBound(more)
                addr = FAddr(j)
                If m >= 0 Then addr = more(m)
                If addr <> "" Then
                    np = np + 1
                    If np > UBound(tl) Then
                        ReDim Preserve tl(1 To np * 2): ReDim Preserve fi(1 To np * 2)
                    End If
                    Set c = mWs.Range(addr).MergeArea.Cells(1, 1)
                    tl(np) = ColLetter(c.Column) & c.Row
                    fi(np) = j
                End If
            Next m
        End If
    Next j
    Application.ScreenUpdating = False
    For p = 1 To np
        j = fi(p)
        If tl(p) <> "" Then
            Set c = mWs.Range(tl(p))
            addr = tl(p)
            If Not InList(done, addr) Then
                Ad done, addr
                worst = FSev(j)
                ours = ""
                For i = p To np
                    If tl(i) = addr Then
                        If SevRank(FSev(fi(i))) > SevRank(worst) Then worst = FSev(fi(i))
                        If ours <> "" Then ours = ours & vbLf
                        ours = ours & prefix & FSev(fi(i)) & T("row_colon") & FMsg(fi(i))
                    End If
                Next i
                If ms Is Nothing Then Set ms = MarksSheet(True)
                r = ms.UsedRange.Row + ms.UsedRange.Rows.Count
                orig = ""
                had = False
                If Not c.Comment Is Nothing Then
                    had = True
                    orig = c.Comment.Text
                End If
                ms.Cells(r, 1).NumberFormat = "@"
                ms.Cells(r, 1).Value = mWs.Name
                ms.Cells(r, 2).Value = addr
                ms.Cells(r, 3).Value = c.Interior.ColorIndex
                ms.Cells(r, 4).Value = c.Interior.Color
                ms.Cells(r, 5).Value = c.Interior.Pattern
                ms.Cells(r, 6).Value = IIf(had, 1, 0)
                ms.Cells(r, 7).NumberFormat = "@"
                ms.Cells(r, 7).Value = orig
                c.MergeArea.Interior.Color = SevColor(worst)
                If had Then
                    c.Comment.Text Text:=orig & vbLf & ours
                Else
                    c.AddComment ours
                End If
            End If
        End If
    Next p
    Application.ScreenUpdating = True
End Sub

Private Function ClearSheet(ByVal ws As Object) As Long
    ' undo every mark an earlier Validate left on ws; the results sheet goes too when it lists ws
    Dim ms As Object, rs As Object, r As Long, last As Long, c As Object, n As Long, txt As String
    Dim prefix As String, color As Long
    Set mWs = ws
    prefix = T("comment_prefix")
    Set ms = MarksSheet(False)
    If Not ms Is Nothing Then
        last = ms.UsedRange.Row + ms.UsedRange.Rows.Count - 1
        For r = last To 2 Step -1
            If CStr(ms.Cells(r, 1).Value) = ws.Name Then
                Set c = ws.Range(CStr(ms.Cells(r, 2).Value))
                color = c.Interior.Color
                If color = COLOR_ERROR Or color = COLOR_WARNING Or color = COLOR_INFO Then
                    If CLng(ms.Cells(r, 3).Value) = XL_NONE Then
                        c.MergeArea.Interior.ColorIndex = XL_NONE
                    Else
                        c.MergeArea.Interior.Color = CLng(ms.Cells(r, 4).Value)
                        c.MergeArea.Interior.Pattern = CLng(ms.Cells(r, 5).Value)
                    End If
                End If
                If Not c.Comment Is Nothing Then
                    txt = c.Comment.Text
                    If InStr(txt, prefix) > 0 Then
                        If CLng(ms.Cells(r, 6).Value) = 1 Then
                            c.Comment.Text Text:=CStr(ms.Cells(r, 7).Value)
                        Else
                            c.Comment.Delete
                        End If
                    End If
                End If
                ms.Rows(r).Delete
                n = n + 1
            End If
        Next r
        If ms.UsedRange.Rows.Count <= 1 And CStr(ms.Cells(2, 1).Value) = "" Then DeleteSheet ms
    End If
    Set rs = ResultsSheet()
    If Not rs Is Nothing Then
        If CStr(rs.Cells(2, 2).Value) = ws.Name Then DeleteSheet rs
    End If
    ws.Activate
    ClearSheet = n
End Function

Private Sub DeleteSheet(ByVal ws As Object)
    Dim alerts As Boolean
    alerts = Application.DisplayAlerts
    Application.DisplayAlerts = False
    ws.Visible = -1
    ws.Delete
    Application.DisplayAlerts = alerts
End Sub

Private Sub WriteResults()
    ' the findings list: one row per finding, a link to its cell, the summary on top
    Dim rs As Object, wb As Object, j As Long, r As Long, target As String
    Set wb = mWs.Parent
    Set rs = ResultsSheet()
    If Not rs Is Nothing Then DeleteSheet rs
    Set rs = wb.Worksheets.Add(After:=wb.Worksheets(wb.Worksheets.Count))
    rs.Name = T("results_sheet")
    CountFindings
    rs.Cells(1, 1).Value = SummaryText()
    rs.Cells(1, 1).Font.Bold = True
    rs.Cells(2, 1).Value = T("label_sheet")
    rs.Cells(2, 2).NumberFormat = "@"
    rs.Cells(2, 2).Value = mWs.Name
    rs.Cells(2, 3).Value = T("label_frame")
    rs.Cells(2, 4).Value = mFrameTitle
    rs.Cells(3, 1).Value = T("summary_hint")
    r = 5
    rs.Cells(r, 1).Value = T("header_no")
    rs.Cells(r, 2).Value = T("header_severity")
    rs.Cells(r, 3).Value = T("header_rule")
    rs.Cells(r, 4).Value = T("header_sheet")
    rs.Cells(r, 5).Value = T("header_cell")
    rs.Cells(r, 6).Value = T("header_message")
    rs.Cells(r, 7).Value = T("header_fix")
    rs.Range(rs.Cells(r, 1), rs.Cells(r, 7)).Font.Bold = True
    For j = 1 To NF
        r = r + 1
        rs.Cells(r, 1).Value = j
        rs.Cells(r, 2).Value = FSev(j)
        rs.Cells(r, 3).Value = FRule(j)
        rs.Cells(r, 4).NumberFormat = "@"
        rs.Cells(r, 4).Value = mWs.Name
        rs.Cells(r, 6).Value = FMsg(j)
        rs.Cells(r, 7).Value = FFix(j)
        rs.Cells(r, 2).Interior.Color = SevColor(FSev(j))
        If FAddr(j) <> "" Then
            target = "'" & Replace(mWs.Name, "'", "''") & "'!" & FAddr(j)
            rs.Cells(r, 5).Value = FAddr(j)
            On Error Resume Next
            rs.Hyperlinks.Add Anchor:=rs.Cells(r, 5), Address:="", SubAddress:=target, TextToDisplay:=FAddr(j)
            On Error GoTo 0
        End If
    Next j
    rs.Columns(1).ColumnWidth = 6
    rs.Columns(2).ColumnWidth = 8
    rs.Columns(3).ColumnWidth = 22
    rs.Columns(4).ColumnWidth = 14
    rs.Columns(5).ColumnWidth = 8
    rs.Columns(6).ColumnWidth = 60
    rs.Columns(7).ColumnWidth = 50
End Sub

Private Sub CountFindings()
    Dim j As Long
    LastErrors = 0: LastWarnings = 0: LastInfos = 0
    For j = 1 To NF
        Select Case SevRank(FSev(j))
            Case 3: LastErrors = LastErrors + 1
            Case 2: LastWarnings = LastWarnings + 1
            Case Else: LastInfos = LastInfos + 1
        End Select
    Next j
End Sub

Private Function SummaryText() As String
    Dim s As String
    CountFindings
    If LastErrors = 0 And LastWarnings = 0 Then
        s = T("summary_clean")
    Else
        s = Fmt(T("summary"), "errors", LastErrors, "warnings", LastWarnings)
    End If
    If LastInfos > 0 Then s = s & Fmt(T("summary_info"), "infos", LastInfos)
    SummaryText = s
End Function

' ==== insert an indicator row ========================================================================================

Public Sub InsertIndicatorRow()
    ' a new indicator row under the selected one (with no selection to read, under the last one)
    Dim r As Long
    On Error Resume Next
    r = ActiveCell.Row
    On Error GoTo 0
    InsertRowBelow r
End Sub

Public Function InsertRowBelowSilent(ByVal row As Long) As String
    Silent = True
    InsertRowBelow row
    Silent = False
    InsertRowBelowSilent = LastSummary
End Function

Public Sub InsertRowBelow(ByVal row As Long)
    ' inserted inside the table, so drop-downs, conditional formats and names that cover the table grow
    ' with it; styles and row height come from the row above, formulas are copied, horizontal merges
    ' repeated and the level-1/level-2 group merges extended over the new row
    Dim ws As Object, r As Long, newRow As Long, c As Object, lastCol As Long, col As Long
    On Error GoTo Failed
    LoadRules
    Set ws = ActiveSheet
    If Not FindTable(ws) Then
        LastSummary = T("no_table_insert")
        Say LastSummary
        Exit Sub
    End If
    If mLast < mFirst Then mLast = mFirst
    r = row
    If r < mFirst Then r = mFirst
    If r > mLast Or r = 0 Then r = mLast
    lastCol = ws.UsedRange.Column + ws.UsedRange.Columns.Count - 1
    Application.ScreenUpdating = False
    If r < mLast Or mFirst = mLast Then
        ws.Rows(r + 1).Insert
        newRow = r + 1
        CopyRowSetup ws, r, newRow, lastCol, mFirst = mLast
    Else
        ' the last row: insert above it (inside every range that covers the table), then move its content up
        ws.Rows(r).Insert
        CopyRowSetup ws, r + 1, r, lastCol, False
        For col = 1 To lastCol
            Set c = ws.Cells(r + 1, col)
            If Not c.HasFormula Then
                If c.MergeArea.Rows.Count = 1 And c.MergeArea.Column = c.Column Then
                    ws.Cells(r, col).Value = c.Value
                    c.ClearContents
                End If
            End If
        Next col
        newRow = r + 1
    End If
    ExtendGroup ws, mCol(fL1), r, newRow
    ExtendGroup ws, mCol(fL2), r, newRow
    Application.ScreenUpdating = True
    On Error Resume Next
    ws.Cells(newRow, mCol(fName)).Select
    On Error GoTo 0
    LastSummary = Fmt(T("inserted"), "row", r)
    Say LastSummary
    Exit Sub
Failed:
    Application.ScreenUpdating = True
    LastSummary = Fmt(T("failed"), "error", Err.Description)
    Say LastSummary
End Sub

Private Sub CopyRowSetup(ByVal ws As Object, ByVal src As Long, ByVal dst As Long, ByVal lastCol As Long, ByVal outside As Boolean)
    ' formats, horizontal merges, formulas (and, outside the table's ranges, drop-downs) from row src to dst
    Dim col As Long, s As Object, d As Object, w As Long
    ws.Rows(dst).RowHeight = ws.Rows(src).RowHeight
    col = 1
    Do While col <= lastCol
        Set s = ws.Cells(src, col)
        w = 1
        If s.MergeCells Then
            If s.MergeArea.Rows.Count = 1 Then w = s.MergeArea.Columns.Count
        End If
        Set d = ws.Cells(dst, col)
        If Not d.MergeCells And Not (s.MergeCells And s.MergeArea.Rows.Count > 1) Then
            s.Resize(1, w).Copy
            d.Resize(1, w).PasteSpecial Paste:=-4122        ' xlPasteFormats
            If outside Then
                On Error Resume Next
                d.Resize(1, w).PasteSpecial Paste:=6         ' xlPasteValidation
                On Error GoTo 0
            End If
            If w > 1 Then d.Resize(1, w).Merge
        End If
        If s.HasFormula Then d.FormulaR1C1 = s.FormulaR1C1
        col = col + w
    Loop
    Application.CutCopyMode = False
End Sub

Private Sub ExtendGroup(ByVal ws As Object, ByVal col As Long, ByVal r As Long, ByVal newRow As Long)
    ' the new row joins the level-1/level-2 group of the selected row: its vertical merge grows over the new row
    Dim a As Object, top As Long, bottom As Long, v As Variant
    If col = 0 Then Exit Sub
    Set a = ws.Cells(r, col).MergeArea
    top = a.Row
    bottom = a.Row + a.Rows.Count - 1
    If newRow >= top And newRow <= bottom Then Exit Sub
    If CellText(a.Cells(1, 1)) = "" Then Exit Sub
    If newRow = bottom + 1 Then
        v = a.Cells(1, 1).Value
        ws.Range(ws.Cells(top, col), ws.Cells(newRow, col)).UnMerge
        ws.Cells(newRow, col).ClearContents
        ws.Range(ws.Cells(top, col), ws.Cells(newRow, col)).Merge
        ws.Cells(top, col).Value = v
    End If
End Sub
