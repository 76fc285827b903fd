"""The printable service form (售后维修服务单) as a PDF, in Chinese by default, with the signature.

fpdf2 embeds a subset of the bundled Noto Sans SC (an OpenType font with CFF outlines), so the form
shows no boxes on any machine. Labels come from the message catalogues (``form.*``), like the console's.
Rendering is synchronous CPU work; the route runs it in a worker thread.

One module (~470 lines) because it is one document laid out top to bottom: the sections share the page
cursor, the fonts and the page-break rule; split, each part would need all three.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos

import shared
from server.photos import bounded_point, thumbnail
from shared.enums import ChecklistItemKind, JobKind
from shared.i18n import translate
from shared.local_time import full
from shared.service_form import FormAnswer, ServiceForm, flag_reason_text, timeline

FONT_FILE = Path(shared.__file__).resolve().parent / "assets" / "fonts" / "NotoSansSC-Levee.otf"
FONT = "NotoSansSC"
INK = (17, 17, 17)
MUTED = (70, 70, 70)
RED = (176, 0, 0)
BLUE = (11, 79, 163)
HEAD_FILL = (230, 236, 243)
MAX_PHOTOS = 6
SIZE = 9.0  # body text, pt
LINE = 4.6  # table line height, mm
PAD = 0.9  # table cell padding, mm
#: A table row cannot break across pages: text longer than this (characters) is printed as a paragraph
#: that flows across pages, and a table cell shows its beginning with a pointer to it.
LONG_TEXT = 300
LONG_CUT = 120
_PATH_TOKEN = re.compile(r"([ML])\s*(-?\d+(?:\.\d+)?)[\s,]+(-?\d+(?:\.\d+)?)")

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # one INFO line per glyph table otherwise


def signature_strokes(path: str) -> list[list[tuple[float, float]]]:
    """The strokes of the signature's SVG path data (``M x y L x y ...``)."""
    strokes: list[list[tuple[float, float]]] = []
    for command, x, y in _PATH_TOKEN.findall(path or ""):
        point = (float(x), float(y))
        if not bounded_point(*point):  # stored before signatures were bounded: not drawable
            continue
        if command == "M" or not strokes:
            strokes.append([point])
        else:
            strokes[-1].append(point)
    return strokes


def fit_strokes(
    strokes: list[list[tuple[float, float]]], x: float, y: float, width: float, height: float
) -> list[list[tuple[float, float]]]:
    """The strokes scaled (never up) and moved into the box at (x, y)."""
    points = [p for s in strokes for p in s]
    if not points:
        return []
    x0, y0 = min(p[0] for p in points), min(p[1] for p in points)
    x1, y1 = max(p[0] for p in points), max(p[1] for p in points)
    scale = min(width / max(x1 - x0, 1.0), height / max(y1 - y0, 1.0))
    return [[(x + (px - x0) * scale, y + (py - y0) * scale) for px, py in s] for s in strokes]


class _Form(FPDF):
    def __init__(self, lang: str, footer_text: str) -> None:
        super().__init__(format="A4")
        self.lang = lang
        self.footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text.replace("{page}", str(self.page_no())), align="C")


class FormRenderer:
    def __init__(self, form: ServiceForm, lang: str, tz: tzinfo, printed_at: datetime) -> None:
        self.form, self.job, self.lang, self.tz = form, form.job, lang, tz
        self.printed_at = printed_at
        footer = self.t("form.footer", number=self.job.number, page="{page}", total="{nb}")
        pdf = _Form(lang, footer)
        pdf.set_title(f"{self.job.number} {self.t(self.title_key)}")
        pdf.set_subject(self.t(self.title_key))
        pdf.set_creator("Levee")
        pdf.set_lang("zh-CN" if lang == "zh-CN" else "en")
        pdf.set_margins(14, 12, 14)
        pdf.set_auto_page_break(True, margin=15)
        pdf.add_font(FONT, "", str(FONT_FILE))
        pdf.add_page()
        self.pdf = pdf

    @property
    def title_key(self) -> str:
        """An inspection prints as an inspection report (巡检报告), every other job as the service form."""
        return "form.title_inspection" if self.job.kind is JobKind.INSPECTION else "form.title"

    # --- words -------------------------------------------------------------------------------------

    def t(self, key: str, **params: Any) -> str:
        return translate(self.lang, key, **params)

    def when(self, moment: datetime | None) -> str:
        return "—" if moment is None else full(moment, self.tz)

    def duration(self, seconds: float) -> str:
        total = int(abs(seconds) // 60)
        days, rest = divmod(total, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return self.t("app.time.days_hours", d=days, h=hours)
        if hours:
            return self.t("app.time.hours_minutes", h=hours, m=minutes)
        return self.t("app.time.minutes", m=minutes)

    def yes_no(self, value: bool | None) -> str:
        return "—" if value is None else self.t("app.common.yes" if value else "app.common.no")

    # --- layout ------------------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.will_page_break(20):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FONT, size=11)
        pdf.set_text_color(*BLUE)
        pdf.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*BLUE)
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(1)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, size=SIZE)

    def _table(self, widths: tuple[float, ...], **options: Any) -> Any:
        self.pdf.set_draw_color(150, 158, 168)
        self.pdf.set_line_width(0.2)
        return self.pdf.table(
            col_widths=widths,
            line_height=LINE,
            wrapmode=WrapMode.CHAR,
            text_align="LEFT",
            padding=PAD,
            **options,
        )

    def paragraph(self, label: str, text: str) -> None:
        """A label line, then ``text`` across the page, flowing onto as many pages as it needs."""
        pdf = self.pdf
        if pdf.will_page_break(LINE * 3 + 2):  # never a label alone at the foot of a page
            pdf.add_page()
        pdf.set_font(FONT, size=SIZE)
        pdf.set_text_color(*MUTED)
        pdf.cell(0, LINE + 0.6, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.multi_cell(0, LINE, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def pairs(self, rows: list[tuple[str, str]], columns: int = 2, width: float | None = None) -> None:
        """Label/value pairs, ``columns`` pairs to a line, across ``width`` (the page by default); a long
        value is printed after the table as a paragraph (see ``LONG_TEXT``)."""
        long = [(name, value) for name, value in rows if len(value or "") > LONG_TEXT]
        rows = [(name, value) for name, value in rows if len(value or "") <= LONG_TEXT]
        if rows:
            self._pairs(rows, columns, width)
        for name, value in long:
            self.paragraph(name, value)

    def _pairs(self, rows: list[tuple[str, str]], columns: int, width: float | None) -> None:
        total = width or self.pdf.epw
        label = 24 if self.lang == "zh-CN" else 30
        widths = (label, total / columns - label) * columns
        with self._table(widths, first_row_as_headings=False, width=total, align="LEFT") as table:
            for i in range(0, len(rows), columns):
                line = table.row()
                chunk = rows[i : i + columns]
                chunk += [("", "")] * (columns - len(chunk))
                for name, value in chunk:
                    line.cell(name, style=FontFace(color=MUTED, fill_color=HEAD_FILL))
                    line.cell(value or ("" if not name else "—"))

    def grid(self, headers: list[str], rows: list[list[str]], widths: tuple[float, ...]) -> None:
        """A table with a header row; a value starting with ``!`` is shown red (a breach, a flag). A long
        value shows its beginning; the whole of it follows the table as a paragraph."""
        overflow: list[tuple[str, str]] = []
        with self._table(
            widths, headings_style=FontFace(emphasis="", color=INK, fill_color=HEAD_FILL)
        ) as table:
            table.row(headers)
            for values in rows:
                line = table.row()
                for i, value in enumerate(values):
                    red = value.startswith("!")
                    text = value.removeprefix("!")
                    if len(text) > LONG_TEXT:
                        overflow.append((f"{values[0].removeprefix('!')} · {headers[i]}", text))
                        text = text[:LONG_CUT] + "… " + self.t("form.in_full_below")
                    line.cell(text, style=FontFace(color=RED) if red else None)
        for label, text in overflow:
            self.paragraph(label, text)

    # --- sections ----------------------------------------------------------------------------------

    def title(self) -> None:
        pdf, job = self.pdf, self.job
        pdf.set_font(FONT, size=17)
        pdf.set_text_color(*INK)
        pdf.cell(0, 9, self.t(self.title_key), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, size=9.5)
        status = self.t(f"enum.status.{job.status.value}")
        line = self.t("form.subtitle", number=job.number, status=status, when=self.when(self.printed_at))
        pdf.cell(0, 5.5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if job.times_flagged:
            pdf.set_text_color(*RED)
            pdf.cell(0, 5.5, self.t("form.times_flagged"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(*INK)

    def call(self) -> None:
        job, t = self.job, self.t
        equipment = job.equipment
        self.heading(t("form.section.call"))
        self.pairs(
            [
                (t("form.customer"), job.customer.name),
                (t("form.contract"), job.customer.contract_no),
                (t("form.site"), job.site.name),
                (t("form.address"), job.site.address),
                (t("form.contact"), f"{job.site.contact_name} {job.site.contact_phone}".strip()),
                (t("form.caller"), f"{job.caller_name} {job.caller_phone}".strip()),
                (
                    t("form.equipment"),
                    f"{t(f'enum.category.{equipment.category.value}')} {equipment.model}"
                    if equipment
                    else "",
                ),
                (t("form.serial"), equipment.serial_no if equipment else ""),
                (t("form.kind"), t(f"enum.kind.{job.kind.value}")),
                (t("form.warranty_end"), str(equipment.warranty_end or "") if equipment else ""),
                (t("form.severity"), t(f"enum.severity.{job.severity.value}")),
                (t("form.engineer"), job.engineer.display_name if job.engineer else ""),
            ]
            + ([(t("form.office_reason"), job.office_reason)] if job.office_reason else [])
        )

    def timeline(self) -> None:
        """Each step once: its deadline, the device's time, when the server got it, kept or late, flags."""
        t = self.t
        self.heading(t("form.section.timeline"))
        rows = []
        for step in timeline(self.form, self.printed_at):
            notes = []
            if step.outcome == "late" and step.late_seconds is not None:
                notes.append(t("form.sla.late", d=self.duration(step.late_seconds)))
            elif step.outcome:
                notes.append(t(f"form.sla.{step.outcome}"))
            notes += [t("form.flagged", reason=flag_reason_text(self.lang, reason)) for reason in step.flags]
            name = (
                t("form.event.call")
                if step.step == "call"
                else t("form.backup")
                if step.step == "backup"
                else t(f"enum.event.{step.step}")
            )
            rows.append(
                [
                    name,
                    self.when(step.due_at) if step.due_at else "",
                    self.when(step.done_at) if step.step != "backup" else "",
                    self.when(step.received_at) if step.received_at else "",
                    ("!" if step.bad else "") + "；".join(notes),
                ]
            )
        self.grid(
            [t("form.event"), t("form.due"), t("form.device_time"), t("form.received_at"), t("form.result")],
            rows,
            (24, 30, 30, 30, 68),
        )

    def fault(self) -> None:
        job, t = self.job, self.t
        self.heading(t("form.section.fault"))
        billable = self.yes_no(job.billable)
        if job.billable_reason is not None:
            billable += f"（{t(f'enum.billable_reason.{job.billable_reason.value}')}）"
        self.pairs(
            [
                (t("app.field.symptom"), job.symptom),
                (t("app.field.cause"), job.cause),
                (t("app.field.fix"), job.fix),
                (t("app.field.billable"), billable),
                (t("app.field.backup_lent"), f"{self.yes_no(job.backup_lent)} {job.backup_note}".strip()),
                (t("app.field.notes"), job.notes),
            ]
            # an inspection report carries the engineer's maintenance advice (维护建议)
            + ([(t("app.field.advice"), job.advice)] if job.kind is JobKind.INSPECTION or job.advice else [])
        )

    def answer_text(self, a: FormAnswer) -> str:
        if a.kind is ChecklistItemKind.MEASURE and a.value is not None:
            text = f"{a.value:g} {a.unit}".strip()
        elif a.result is not None:
            text = self.t(f"enum.check_result.{a.result.value}")
        else:
            return "!" + self.t("form.unanswered") if a.required else "—"
        bad = a.out_of_range or (a.result is not None and a.result.value == "fault")
        return ("!" if bad else "") + text + (f"（{self.t('form.out_of_range')}）" if a.out_of_range else "")

    def checklist(self) -> None:
        t, form = self.t, self.form
        if not form.checklist:
            return
        self.heading(t("form.section.checklist", name=form.template_name or "—"))
        rows = []
        for a in form.checklist:
            limits = ""
            if a.min_value is not None or a.max_value is not None:
                low = "" if a.min_value is None else f"≥ {a.min_value:g}"
                high = "" if a.max_value is None else f"≤ {a.max_value:g}"
                limits = f"{low} {high} {a.unit}".strip()
            label = a.label_zh if self.lang == "zh-CN" else a.label_en
            rows.append([label, self.answer_text(a), limits, a.note])
        self.grid(
            [t("form.item"), t("form.answer"), t("form.limits"), t("form.note")], rows, (46, 44, 30, 62)
        )

    def parts(self) -> None:
        t = self.t
        self.heading(t("form.section.parts"))
        if not self.form.parts:
            self.pdf.cell(0, 5.5, t("form.none"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        rows = []
        for p in self.form.parts:
            state = "!" + t("form.voided") if p.voided_at else self.yes_no(p.old_part_returned)
            rows.append([p.code, p.name, f"{p.quantity} {p.unit}", state, self.when(p.used_at)])
        self.grid(
            [
                t("form.part_code"),
                t("form.part_name"),
                t("form.quantity"),
                t("form.old_returned"),
                t("form.used_at"),
            ],
            rows,
            (28, 62, 22, 32, 38),
        )

    def quote(self) -> None:
        """The paid repair's quote (有偿维修报价): its lines, the contract's discount and the total."""
        quote = self.form.quote
        if quote is None and self.form.job.billable is not True:
            return
        t = self.t
        self.heading(t("form.section.quote"))
        if quote is None:
            self.pdf.cell(0, 5.5, t("form.none"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        rows = [
            [
                f"{t(f'enum.quote_line.{x.kind}')} {x.description}".strip(),
                x.quantity,
                f"¥{x.unit_price}",
                f"¥{x.amount}",
            ]
            for x in quote.lines
        ]
        self.grid(
            [t("form.quote.item"), t("form.quantity"), t("form.quote.price"), t("form.quote.amount")],
            rows,
            (92, 26, 32, 32),
        )
        self.pairs(
            [
                (t("form.quote.subtotal"), f"¥{quote.subtotal}"),
                (t("form.quote.discount", pct=quote.discount_pct), f"¥{quote.discount}"),
                (t("form.quote.total"), f"¥{quote.total}"),
                (t("form.quote.status"), t(f"enum.quote_status.{quote.status}")),
            ]
        )

    def acceptance(self) -> None:
        """The customer's opinion beside their signature (drawn from the stored strokes)."""
        pdf, job, t = self.pdf, self.job, self.t
        box_w, box_h = 72.0, 30.0
        if pdf.will_page_break(box_h + 4 + 12):  # the heading goes with the box, never alone at the foot
            pdf.add_page()
        self.heading(t("form.section.acceptance"))
        top = pdf.get_y()
        satisfaction = t("form.satisfaction_of", n=job.satisfaction) if job.satisfaction else ""
        rows = [
            (t("form.opinion"), job.acceptance_opinion),
            (t("form.satisfaction"), satisfaction),
            (t("form.comment"), job.acceptance_comment),
            (t("form.signed_at"), self.when(job.signed_off_at)),
        ]
        long = [(name, value) for name, value in rows if len(value) > LONG_TEXT]
        beside = [
            (name, value[:LONG_CUT] + "… " + t("form.in_full_below") if len(value) > LONG_TEXT else value)
            for name, value in rows
        ]
        self._pairs(beside, 1, pdf.epw - box_w - 4)
        below = pdf.get_y()
        x, y = pdf.l_margin + pdf.epw - box_w, top
        pdf.set_draw_color(150, 158, 168)
        pdf.set_line_width(0.2)
        pdf.rect(x, y, box_w, box_h)
        pdf.set_xy(x + 1, y + 0.5)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(box_w - 2, 4, t("form.signature"))
        strokes = fit_strokes(signature_strokes(job.signature), x + 4, y + 5, box_w - 8, box_h - 8)
        if strokes:
            pdf.set_draw_color(*INK)
            pdf.set_line_width(0.45)
            for stroke in strokes:
                pdf.polyline(stroke if len(stroke) > 1 else stroke * 2)
        else:
            pdf.set_xy(x + 4, y + box_h / 2 - 3)
            pdf.set_text_color(*RED)
            pdf.set_font(FONT, size=SIZE)
            pdf.cell(box_w - 8, 6, t("form.not_signed"), align="C")
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, size=SIZE)
        pdf.set_xy(pdf.l_margin, max(below, y + box_h) + 1)
        for name, value in long:
            self.paragraph(name, value)

    def review(self) -> None:
        job, t, form = self.job, self.t, self.form
        self.heading(t("form.section.review"))
        if job.qa_at is not None:
            verdict = t("form.qa_by", name=form.qa_by_name or "—", when=self.when(job.qa_at))
            qa = f"{job.qa_note} （{verdict}）" if job.qa_note else verdict
        else:
            qa = t("form.qa_pending")
        if job.qa_returns:
            qa += " " + t("form.qa_returned", n=job.qa_returns)
        decision = form.manager_decision
        decided = (
            f"{decision.text} （{t('form.manager_by', name=decision.decided_by_name or '—', when=self.when(decision.decided_at))}）"
            if decision is not None
            else "\n\n"  # room to write it by hand
        )
        self.pairs([(t("form.qa_opinion"), qa), (t("form.manager_decision"), decided)])

    def photos(self, data: dict[uuid.UUID, bytes]) -> None:
        pdf, t = self.pdf, self.t
        if not self.form.photos:
            return
        shown = [p for p in self.form.photos[:MAX_PHOTOS] if p.id in data]
        self.heading(t("form.section.photos", n=len(self.form.photos)))
        width, height, gap = 56.0, 42.0, 5.0
        top = pdf.get_y()
        for i, photo in enumerate(shown):
            if i % 3 == 0:
                if pdf.will_page_break(height + 8):
                    pdf.add_page()
                top = pdf.get_y()
            x = pdf.l_margin + (i % 3) * (width + gap)
            try:
                # a thumbnail, decoded within bounds: a stored 8000x8000 PNG is not decoded in full
                image = thumbnail(data[photo.id])
                pdf.image(image, x=x, y=top, w=width, h=height, keep_aspect_ratio=True)
            except Exception:  # a photo the image library cannot read is named, not fatal
                pdf.set_draw_color(150, 158, 168)
                pdf.rect(x, top, width, height)
            pdf.set_xy(x, top + height + 0.5)
            pdf.set_font(FONT, size=7.5)
            pdf.cell(width, 4, (photo.caption or photo.filename)[:30])
            if i % 3 == 2 or i == len(shown) - 1:
                pdf.set_xy(pdf.l_margin, top + height + 6)
        pdf.set_font(FONT, size=SIZE)
        if len(self.form.photos) > len(shown):
            pdf.cell(0, 5.5, t("form.more_photos", n=len(self.form.photos) - len(shown)))
            pdf.ln(6)

    def render(self, photos: dict[uuid.UUID, bytes]) -> bytes:
        self.title()
        self.call()
        self.timeline()
        self.fault()
        self.checklist()
        self.parts()
        self.quote()
        self.acceptance()
        self.review()
        self.photos(photos)
        return bytes(self.pdf.output())


def render_form_pdf(
    form: ServiceForm,
    *,
    lang: str,
    tz: tzinfo,
    printed_at: datetime,
    photos: dict[uuid.UUID, bytes] | None = None,
) -> bytes:
    """The service form as PDF bytes (A4, embedded CJK font, signature drawn as vector strokes)."""
    return FormRenderer(form, lang, tz, printed_at).render(photos or {})
