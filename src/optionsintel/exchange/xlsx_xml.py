"""The SpreadsheetML parts of an .xlsx package other than the sheets' rows."""

from __future__ import annotations

from xml.sax.saxutils import escape

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

#: Cell styles (``s=``): 0 general, 1 date, 2 date-time, 3 bold header.
STYLES = (
    _HEAD + f"<styleSheet {_NS}>"
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDE4EE"/></patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def sheet_head(widths: list[float], styles: list[int]) -> str:
    """The start of a sheet: frozen header row, column widths and default styles."""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" style="{s}" customWidth="1"/>'
        for i, (w, s) in enumerate(zip(widths, styles, strict=True), start=1)
    )
    return (
        _HEAD + f'<worksheet {_NS} xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
    )


SHEET_TAIL = "</sheetData></worksheet>"


def workbook(names: list[str]) -> str:
    """The workbook part listing the sheets."""
    sheets = "".join(
        f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
        for i, n in enumerate(names, start=1)
    )
    return _HEAD + f'<workbook {_NS} xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'


def workbook_rels(count: int) -> str:
    """The workbook's relationships to its sheets and styles."""
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{kind}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, count + 1)
    )
    rels += f'<Relationship Id="rId{count + 1}" Type="{kind}/styles" Target="styles.xml"/>'
    return _HEAD + f'<Relationships xmlns="{_PKG}/relationships">{rels}</Relationships>'


def content_types(count: int) -> str:
    """The package's content types."""
    ml = "application/vnd.openxmlformats-officedocument"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{ml}.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1)
    )
    return (
        _HEAD + f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ml}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ml}.spreadsheetml.styles+xml"/>'
        f"{sheets}"
        f'<Override PartName="/docProps/custom.xml" ContentType="{ml}.custom-properties+xml"/>'
        "</Types>"
    )


def root_rels() -> str:
    """The package's root relationships."""
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return (
        _HEAD + f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{kind}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{kind}/custom-properties" Target="docProps/custom.xml"/>'
        "</Relationships>"
    )


def custom_properties(props: dict[str, str]) -> str:
    """Custom document properties (text values)."""
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    items = "".join(
        f'<property fmtid="{fmtid}" pid="{i}" name="{escape(k)}"><vt:lpwstr>{escape(v)}'
        "</vt:lpwstr></property>"
        for i, (k, v) in enumerate(props.items(), start=2)
    )
    ns = "http://schemas.openxmlformats.org/officeDocument/2006"
    return (
        _HEAD + f'<Properties xmlns="{ns}/custom-properties" '
        f'xmlns:vt="{ns}/docPropsVTypes">{items}</Properties>'
    )
