"""The record as a PDF to print: a hospital-passport style document, made in memory.

Nothing here knows Flask: it takes the person's name and the chosen sections with their
entries, and gives back the PDF's bytes (``web/print_pages.py`` serves them).
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import datetime
from importlib.resources import as_file, files
from typing import Any

from fpdf import FPDF

from vault.sections import Section
from web.display import entry_heading, plain_rows, written_date, written_words

# fpdf2 writes the PDF in pure Python, in memory. Its text is set in Open Sans from the
# ttf-opensans package, so no system font is needed: static files, which load in a moment
# (a variable font such as Arimo took over a second per PDF to make its regular and bold).
# Open Sans has the Latin (with Welsh, Polish, Romanian, Turkish), Greek and Cyrillic
# alphabets. Any other character (Chinese, Arabic, Hebrew, emoji) is shown as "?" and the
# PDF says so, pointing to the printed page, where the browser's own fonts show everything.
FONT = "OpenSans"
MISSING = "?"
MARGIN = 18.0


class _RecordPDF(FPDF):
    """A4, with the person's name and the page number at the foot of every page."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT, "", 9)
        self.cell(0, 6, f"{self.footer_text}: page {self.page_no()} of {{nb}}. "
                        "Printed from Tell Once, which is not an NHS service.", align="C")


def record_pdf(name: str, parts: list[tuple[Section, list[Any]]], *, now: datetime) -> bytes:
    """A hospital-passport style PDF of the chosen sections, made in memory."""
    pdf = _RecordPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_creation_date(now)
    pdf.set_title("My record")
    pdf.set_creator("Tell Once")
    fonts = files("ttf_opensans") / "ttf"
    with ExitStack() as stack:
        for style, file_name in (("", "OpenSans-Regular.ttf"), ("B", "OpenSans-Bold.ttf")):
            pdf.add_font(FONT, style, str(stack.enter_context(as_file(fonts / file_name))))
        writer = _Writer(pdf, set(getattr(pdf.fonts[FONT.lower()], "cmap", {})) | {ord("\n")})
        pdf.footer_text = writer.clean(name)
        writer.document(name, parts, today=written_date(now))
        return bytes(pdf.output())


class _Writer:
    """Lays out the record: the name first, then each section, its entries kept whole.

    Each block is drawn by a function that can also only measure: with ``measure`` set,
    fpdf2 breaks the lines without drawing them and gives back the height they take.
    """

    def __init__(self, pdf: Any, known: set[int]) -> None:
        self.pdf = pdf
        self.known = known

    def clean(self, text: str) -> str:
        return "".join(ch if ord(ch) in self.known else MISSING for ch in text)

    def text(self, words: str, *, size: float, bold: bool = False, after: float = 1.5,
             measure: bool = False) -> float:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", size)
        if measure:
            height: float = pdf.multi_cell(0, size * 0.5, self.clean(words), align="L",
                                           dry_run=True, output="HEIGHT")
            return height + after
        # Ragged right, never justified: even word gaps are easier to read.
        pdf.multi_cell(0, size * 0.5, self.clean(words), align="L", new_x="LMARGIN",
                       new_y="NEXT")
        pdf.ln(after)
        return 0.0

    def entry(self, the_section: Section, entry: Any, *, measure: bool = False) -> float:
        heading = " ".join(entry_heading(the_section, entry).split())
        height = self.text(heading, size=13, bold=True, after=1, measure=measure)
        for label, value in plain_rows(the_section, entry):
            height += self.text(label, size=10.5, bold=True, after=0.5, measure=measure)
            height += self.text(value, size=12, after=2, measure=measure)
        return height + self.text(f"{written_words(entry)} on {written_date(entry.created_at)}.",
                                  size=10.5, after=3, measure=measure)

    def keep_together(self, draw: Any) -> None:
        # An entry is not split across two pages when it fits on one: measure it first, and
        # start a new page if it would run over the end of this one.
        pdf = self.pdf
        height = draw(measure=True)
        room = pdf.page_break_trigger - pdf.get_y()
        fits_a_page = height <= pdf.page_break_trigger - pdf.t_margin
        if height > room and fits_a_page and pdf.get_y() > pdf.t_margin + 1:
            pdf.add_page()
        draw(measure=False)

    def all_shown(self, name: str, parts: list[tuple[Section, list[Any]]]) -> bool:
        words = [name]
        for the_section, entries in parts:
            for entry in entries:
                words.append(entry_heading(the_section, entry))
                words.extend(value for _label, value in plain_rows(the_section, entry))
        return all(self.clean(w) == w for w in words)

    def document(self, name: str, parts: list[tuple[Section, list[Any]]], *, today: str) -> None:
        self.pdf.add_page()
        self.text(name, size=24, bold=True, after=2)
        self.text("This is my record. Please read it before you help me.", size=14)
        self.text(f"Printed on {today} from Tell Once. Tell Once is not an NHS service. "
                  "Check anything important with me or the people who support me.",
                  size=11, after=3)
        if not self.all_shown(name, parts):
            self.text("Some letters or symbols cannot be shown in this PDF, so they appear "
                      "as ?. Print the page from Tell Once instead to see them all.",
                      size=11, bold=True, after=3)
        for the_section, entries in parts:
            self.keep_together(lambda measure, s=the_section, e=entries: self.first(s, e, measure))
            for entry in entries[1:]:
                self.keep_together(lambda measure, s=the_section, e=entry: self.entry(
                    s, e, measure=measure))

    def first(self, the_section: Section, entries: list[Any], measure: bool) -> float:
        """A section's title, kept with its first entry."""
        if not measure:
            self.pdf.ln(2)
        height = 2 + self.text(the_section.title, size=17, bold=True, after=2, measure=measure)
        if entries:
            return height + self.entry(the_section, entries[0], measure=measure)
        return height + self.text("Nothing has been written in this part yet.", size=12,
                                  after=3, measure=measure)
