"""Plain-text renderings of agreement reports for the terminal and for model cards."""

from __future__ import annotations

from .agreement import AgreementReport, CharacterAgreement


def render_agreement(reports: dict[str, AgreementReport], per_label: bool = True) -> str:
    lines = []
    for level, report in reports.items():
        low, high = report.kappa_ci
        lines.append(f"{level} level: n={report.n}  kappa={report.kappa:.3f} (95% CI {low:.3f}-{high:.3f})  "
                     f"alpha={report.alpha:.3f}  agreement={report.percent_agreement:.1%}")
        if per_label:
            lines.append(f"  {'code':<38} {'kappa':>6} {'n A':>5} {'n B':>5} {'both':>5}")
            for row in report.per_label:
                kappa = f"{row.kappa:.3f}" if row.kappa is not None else "-"
                lines.append(f"  {row.label:<38} {kappa:>6} {row.support_a:>5} {row.support_b:>5} {row.agree:>5}")
    return "\n".join(lines)


def render_character_agreement(rows: list[CharacterAgreement], characters: int) -> str:
    lines = [f"character level, per code (as NVivo's coding comparison: one-vs-rest over all {characters:,} "
             "characters of the documents, pooled):",
             f"  {'code':<38} {'kappa':>6} {'agree':>7} {'chars A':>8} {'chars B':>8} {'both':>8}"]
    for row in rows:
        if row.characters_a or row.characters_b:
            kappa = f"{row.kappa:.3f}" if row.kappa is not None else "-"
            lines.append(f"  {row.code:<38} {kappa:>6} {row.agreement:>7.1%} {row.characters_a:>8} "
                         f"{row.characters_b:>8} {row.characters_both:>8}")
    return "\n".join(lines)
