"""A .docx in the layout of a Chinese government document (党政机关公文格式, GB/T 9704-2012),
built with python-docx: A4, 版心 156 × 225 mm, 标题 in 2号小标宋, 正文 in 3号仿宋 with a
two-character first-line indent and 28-pt fixed line spacing, 一级标题 in 黑体, 二级 in 楷体,
页码 "— 1 —" at the foot, 附件 on pages of their own (landscape when their table is wide).

Fonts, so that Word and WPS both show Chinese as intended: every style and every run names
its East Asian font through ``w:eastAsia`` (the default template otherwise falls back to its
theme's Japanese font), the document language is zh-CN, and the font table gives each
government font an ``altName`` and the GB2312 charset, so a machine without
仿宋_GB2312 or 方正小标宋简体 substitutes 仿宋 / 宋体 instead of a Latin font.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt
from lxml import etree


@dataclass(frozen=True)
class Face:
    name: str  # what the document asks for
    alt: str  # what Word/WPS substitute when it is missing
    family: str  # roman | modern | swiss


TITLE = Face("方正小标宋简体", "宋体", "roman")
BODY = Face("仿宋_GB2312", "仿宋", "modern")
HEI = Face("黑体", "SimHei", "modern")
KAI = Face("楷体_GB2312", "楷体", "modern")
SONG = Face("宋体", "SimSun", "roman")
LATIN = "Times New Roman"

# style name → (face, size in pt, alignment, first-line indent in characters)
STYLES = {
    "公文标题": (TITLE, 22, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "公文主送": (BODY, 16, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "公文正文": (BODY, 16, WD_ALIGN_PARAGRAPH.JUSTIFY, 2),
    "一级标题": (HEI, 16, WD_ALIGN_PARAGRAPH.LEFT, 2),
    "二级标题": (KAI, 16, WD_ALIGN_PARAGRAPH.LEFT, 2),
    "公文落款": (BODY, 16, WD_ALIGN_PARAGRAPH.RIGHT, 0),
    "附件标识": (HEI, 16, WD_ALIGN_PARAGRAPH.LEFT, 0),
    "附件标题": (TITLE, 18, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "发文字号": (BODY, 16, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "表格文字": (BODY, 10.5, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "表头文字": (HEI, 10.5, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "图注": (BODY, 12, WD_ALIGN_PARAGRAPH.CENTER, 0),
    "页码": (SONG, 14, WD_ALIGN_PARAGRAPH.CENTER, 0),
}
LINE = Pt(28)  # fixed line spacing of the 正文: 22 lines on the 225 mm 版心


def set_fonts(rpr_owner, face: Face) -> None:
    """Name the East Asian font (and Times New Roman for Latin text) on a run or a style."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    fonts.set(qn("w:eastAsia"), face.name)
    fonts.set(qn("w:hint"), "eastAsia")


class GovDoc:
    """Append-only builder: ``GovDoc().title(...).addressee(...).body(...)…save(path)``."""

    def __init__(self, title_for_properties: str = ""):
        self.doc = Document()
        self._faces: dict[str, Face] = {}
        self._setup(title_for_properties)

    # ── document set-up ───────────────────────────────────────────────────
    def _setup(self, title: str) -> None:
        doc = self.doc
        doc.core_properties.title = title
        doc.core_properties.language = "zh-CN"
        doc.core_properties.author = ""
        section = doc.sections[0]
        self._page(section)
        normal = doc.styles["Normal"]
        normal.font.size = Pt(16)
        set_fonts(normal.element, BODY)
        self._language(doc.styles.element)
        for name, (face, size, align, indent) in STYLES.items():
            style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = normal
            style.font.size = Pt(size)
            set_fonts(style.element, face)
            fmt = style.paragraph_format
            fmt.alignment = align
            fmt.space_before = fmt.space_after = Pt(0)
            if size >= 16:
                fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
            if indent:
                fmt.first_line_indent = Pt(size * indent)
            self._faces[name] = face
        self._page_number(section)

    @staticmethod
    def _page(section, landscape: bool = False) -> None:
        """A4 with the GB/T 9704 margins (天头 37 mm, 订口 28 mm); turned for wide tables."""
        top, bottom, left, right = Mm(37), Mm(35), Mm(28), Mm(26)
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
            top, bottom, left, right = left, right, top, bottom
        else:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = top, bottom, left, right

    @staticmethod
    def _language(styles_el) -> None:
        """docDefaults: zh-CN East Asian language, no theme fonts (the template's is Japanese)."""
        defaults = styles_el.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is not None:
            for attr in list(fonts.attrib):
                fonts.attrib.pop(attr)
            fonts.set(qn("w:ascii"), LATIN)
            fonts.set(qn("w:hAnsi"), LATIN)
            fonts.set(qn("w:eastAsia"), BODY.name)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")

    def _page_number(self, section) -> None:
        """"— 1 —" centred in the footer (GB/T 9704: 4号半角宋体, a dash either side)."""
        p = section.footer.paragraphs[0]
        p.style = self.doc.styles["页码"]
        self._run(p, "— ", "页码")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        p._p.append(field)
        self._run(p, " —", "页码")

    def _font_table(self) -> None:
        """Each government font once in word/fontTable.xml, with its substitute."""
        part = next(p for p in self.doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
        root = etree.fromstring(part.blob)
        have = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
        for face in {TITLE, BODY, HEI, KAI, SONG}:
            if face.name in have:
                continue
            font = etree.SubElement(root, qn("w:font"))
            font.set(qn("w:name"), face.name)
            for tag, value in (("w:altName", face.alt), ("w:charset", "86"), ("w:family", face.family),
                               ("w:pitch", "variable")):
                etree.SubElement(font, qn(tag)).set(qn("w:val"), value)
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    # ── content ───────────────────────────────────────────────────────────
    def _run(self, paragraph, text: str, style: str):
        run = paragraph.add_run(xml_text(text))
        set_fonts(run._r, self._faces[style])
        return run

    def paragraph(self, text: str, style: str = "公文正文"):
        p = self.doc.add_paragraph(style=self.doc.styles[style])
        if text:
            self._run(p, text, style)
        return p

    def doc_number(self, text: str) -> "GovDoc":
        self.paragraph(text, "发文字号")
        self.paragraph("", "公文正文")
        return self

    def title(self, text: str) -> "GovDoc":
        p = self.paragraph(text, "公文标题")
        p.paragraph_format.space_after = Pt(28)
        return self

    def addressee(self, text: str) -> "GovDoc":
        self.paragraph(text.rstrip("：:") + "：", "公文主送")
        return self

    def body(self, text: str) -> "GovDoc":
        self.paragraph(text, "公文正文")
        return self

    def heading(self, text: str, level: int = 1) -> "GovDoc":
        self.paragraph(text, "一级标题" if level == 1 else "二级标题")
        return self

    def figure(self, png: bytes, caption: str, width_mm: float = 150) -> "GovDoc":
        p = self.doc.add_paragraph(style=self.doc.styles["图注"])
        p.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
        self.paragraph(caption, "图注")
        return self

    def attachment_list(self, titles: list[str]) -> "GovDoc":
        """"附件：1．…" under the 正文, the later lines aligned under the first title."""
        self.paragraph("", "公文正文")
        for i, title in enumerate(titles, 1):
            prefix = "附件：" if i == 1 else "　　　"
            self.paragraph(f"{prefix}{i}．{title}" if len(titles) > 1 else f"附件：{title}", "公文正文")
        return self

    def signature(self, issuer: str, date_text: str) -> "GovDoc":
        """落款 and 成文日期, right-aligned with a four-character right indent (GB/T 9704 7.3.5)."""
        self.paragraph("", "公文正文")
        self.paragraph("", "公文正文")
        for text in (issuer, date_text):
            p = self.paragraph(text, "公文落款")
            p.paragraph_format.right_indent = Pt(16 * 4)
        return self

    def attachment(self, number: int | None, title: str, headers: list[str], rows: list[list[str]],
                   widths_mm: list[float] | None = None, landscape: bool | None = None,
                   notes: list[str] = ()) -> "GovDoc":
        """One 附件 on a new page: "附件N" (黑体), its title, the table with a repeating header,
        then its notes (注)."""
        landscape = len(headers) > 8 if landscape is None else landscape
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        self._page(section, landscape)
        if number is not None:
            self.paragraph(f"附件{number}", "附件标识")
        p = self.paragraph(title, "附件标题")
        p.paragraph_format.space_after = Pt(12)
        self.table(headers, rows, widths_mm, 225 if landscape else 156)
        for i, note in enumerate(notes):
            p = self.paragraph(("注：" if i == 0 else "　　") + note, "表格文字")
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        return self

    def table(self, headers: list[str], rows: list[list[str]], widths_mm: list[float] | None = None,
              text_width_mm: float = 156):
        """A bordered table with fixed column widths filling the 版心 and a header row that
        repeats on every page. Written as one XML fragment: python-docx's cell-by-cell API
        costs milliseconds per cell, and a 主办单位 table of a province has 50,000 cells."""
        widths = [round(Mm(w).twips) for w in _fit(widths_mm or [1] * len(headers), text_width_mm)]
        head_style, cell_style = self._style_id("表头文字"), self._style_id("表格文字")
        head_font, cell_font = self._faces["表头文字"].name, self._faces["表格文字"].name
        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
        parts = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{self._style_id("Table Grid")}"/>'
                 f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
                 f'<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>',
                 _row(headers, head_style, head_font, header=True)]
        parts += [_row(values, cell_style, cell_font) for values in rows]
        parts.append("</w:tbl>")
        tbl = parse_xml("".join(parts))
        body = self.doc.element.body
        body.insert(len(body) - 1, tbl)  # before the final sectPr
        return tbl

    def _style_id(self, name: str) -> str:
        return self.doc.styles[name].style_id

    def save(self, path: str | Path) -> Path:
        self._font_table()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.doc.save(str(path))
        return path


def xml_text(text: object) -> str:
    """Text as XML 1.0 allows it: registry names and facts are untrusted and may hold control
    characters, which Word refuses to open (python-docx raises on them too)."""
    return _NOT_XML.sub("", str(text))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _row(values: list[str], style_id: str, font: str, header: bool = False) -> str:
    """One table row. Cells carry no properties of their own (the grid and the fixed layout
    give the widths): a province's 主办单位 table has tens of thousands of cells, and every
    element is memory while the document is built."""
    cells = []
    for text in values:
        run = ""
        if text:
            run = (f'<w:r><w:rPr><w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{escape(font)}" '
                   f'w:hint="eastAsia"/></w:rPr><w:t xml:space="preserve">{escape(xml_text(text))}</w:t></w:r>')
        cells.append(f'<w:tc><w:p><w:pPr><w:pStyle w:val="{style_id}"/></w:pPr>{run}</w:p></w:tc>')
    props = '<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>' if header else '<w:trPr><w:cantSplit/></w:trPr>'
    return f"<w:tr>{props}{''.join(cells)}</w:tr>"


def _fit(widths: list[float], total: float) -> list[float]:
    scale = total / sum(widths)
    return [w * scale for w in widths]
