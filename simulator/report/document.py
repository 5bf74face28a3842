"""A report as data: sections of headings, paragraphs, lists, tables and figures, rendered to
Markdown and to a self-contained HTML page from the same blocks (no Markdown library: the
blocks are few and the output must be byte-for-byte the same for the same inputs)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of text cells; ``align`` holds one of ``l`` / ``r`` per column."""

    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str = ""

    def alignment(self, i: int) -> str:
        return self.align[i] if i < len(self.align) else "l"


@dataclass(frozen=True)
class Figure:
    """A PNG beside the report: its file name, caption and alternative text."""

    file: str
    caption: str
    alt: str = ""


@dataclass(frozen=True)
class Subheading:
    text: str


Block = Paragraph | Bullets | Table | Figure | Subheading


@dataclass(frozen=True)
class Section:
    """One section: an anchor (the HTML id, checked by the tests), a title and its blocks."""

    anchor: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Document:
    """The whole report: title, lead paragraph, sections, and the PNG files its figures name."""

    title: str
    lead: str
    lang: str
    sections: tuple[Section, ...]
    images: dict[str, bytes] = field(default_factory=dict, repr=False)
    contents_title: str = "Contents"


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document) -> str:
    """The report as GitHub-flavoured Markdown (images linked beside it)."""
    out = [f"# {doc.title}", "", doc.lead, "", f"**{doc.contents_title}**", ""]
    out += [f"{k}. [{s.title}](#{s.anchor})" for k, s in enumerate(doc.sections, start=1)]
    for k, section in enumerate(doc.sections, start=1):
        out += ["", f'<a id="{section.anchor}"></a>', "", f"## {k}. {section.title}"]
        for block in section.blocks:
            out.append("")
            if isinstance(block, Paragraph):
                out.append(block.text)
            elif isinstance(block, Subheading):
                out.append(f"### {block.text}")
            elif isinstance(block, Bullets):
                out += [f"- {item}" for item in block.items]
            elif isinstance(block, Figure):
                out += [f"![{block.alt or block.caption}]({block.file})", "", f"*{block.caption}*"]
            elif isinstance(block, Table):
                out.append("| " + " | ".join(_md_cell(h) for h in block.head) + " |")
                out.append("|" + "|".join("---:" if block.alignment(i) == "r" else "---" for i in range(len(block.head)))
                           + "|")
                out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join(out) + "\n"


_STYLE = """
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; margin: 2em auto; max-width: 76em;
       padding: 0 1.5em; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7em; border-bottom: 2px solid #2b5d8a; padding-bottom: .3em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #bbb; padding-bottom: .2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .86em; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: .25em .5em; vertical-align: top; }
th { background: #eef3f8; }
td.r { text-align: right; white-space: nowrap; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .85em; color: #444; }
nav ol { columns: 2; }
"""


def render_html(doc: Document) -> str:
    """The report as one HTML page with its style inline; images are the PNG files beside it."""
    e = html.escape
    out = ["<!DOCTYPE html>", f'<html lang="{e(doc.lang)}">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{e(doc.title)}</title>",
           f"<style>{_STYLE}</style>", "</head>", "<body>", f"<h1>{e(doc.title)}</h1>", f"<p>{e(doc.lead)}</p>",
           f'<nav><p><strong>{e(doc.contents_title)}</strong></p><ol>']
    out += [f'<li><a href="#{e(s.anchor)}">{e(s.title)}</a></li>' for s in doc.sections]
    out.append("</ol></nav>")
    for k, section in enumerate(doc.sections, start=1):
        out.append(f'<section id="{e(section.anchor)}">')
        out.append(f"<h2>{k}. {e(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out.append(f"<p>{e(block.text)}</p>")
            elif isinstance(block, Subheading):
                out.append(f"<h3>{e(block.text)}</h3>")
            elif isinstance(block, Bullets):
                out.append("<ul>" + "".join(f"<li>{e(i)}</li>" for i in block.items) + "</ul>")
            elif isinstance(block, Figure):
                out.append(f'<figure><img src="{e(block.file)}" alt="{e(block.alt or block.caption)}">'
                           f"<figcaption>{e(block.caption)}</figcaption></figure>")
            elif isinstance(block, Table):
                head = "".join(f"<th>{e(h)}</th>" for h in block.head)
                rows = "".join("<tr>" + "".join(f'<td class="{block.alignment(i)}">{e(str(c))}</td>'
                                                for i, c in enumerate(row)) + "</tr>" for row in block.rows)
                out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
