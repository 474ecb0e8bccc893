"""periodic.docx: the periodic report as a government document (monitor.reports.govdoc)."""
from __future__ import annotations

from pathlib import Path

from monitor.reports.govdoc import GovDoc
from monitor.reports.periodic_text import PeriodicDocument

def write_periodic_docx(doc: PeriodicDocument, charts_png: dict[str, bytes], path: Path) -> Path:
    """``charts_png``: chart name → PNG bytes (monitor.reports.charts)."""
    g = GovDoc(doc.title).title(doc.title).addressee(doc.addressee).body(doc.opening)
    for section in doc.sections:
        g.heading(section.heading)
        for p in section.paragraphs:
            g.body(p)
        for name, caption in section.charts:
            g.figure(charts_png[name], caption)
    g.attachment_list([t.title for t in doc.attachments])
    g.signature(doc.issuer, doc.date_text)
    for i, t in enumerate(doc.attachments, 1):
        rows = t.text_rows() or [["无"] + [""] * (len(t.columns) - 1)]
        g.attachment(i, t.title, [c.header for c in t.columns], rows, [c.width for c in t.columns],
                     notes=doc.notes if i == 1 else ())
    return g.save(path)
