"""`liuyu gates fit|flow`: gate ratings from check measurements, and flow from an opening record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from liuyu.cli.options import console
from liuyu.errors import SchemaError

gates_app = typer.Typer(help="Gates 闸门: fit ratings, compute flows", no_args_is_help=True)


def _write(frame: pd.DataFrame, out: Path) -> None:
    if out.suffix.lower() == ".json":
        out.write_text(
            json.dumps(frame.to_dict("records"), ensure_ascii=False, default=str, indent=1), encoding="utf-8"
        )
    elif out.suffix.lower() == ".csv":
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    else:
        raise SchemaError(f"cannot write {out.name}", hint="use a .json or .csv file name")
    console.print(f"已写出 Written: {out}", highlight=False)


def fit(
    measurements: Annotated[
        Path,
        typer.Argument(
            help="Check measurements 实测资料 (CSV/XLSX): gate, opening_cm, "
            "head_up_m, [head_down_m], flow_m3s, [width_m]"
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the ratings (.json or .csv) 率定结果")
    ] = None,
) -> None:
    """Fit a rating per gate 闸门率定 (orifice μ or power law, by leave-one-out error), with its error."""
    from liuyu.manage.gates import fit_ratings, read_table

    ratings = fit_ratings(read_table(measurements))
    table = Table(title="闸门率定 Gate ratings")
    for col in ("gate", "model", "mu", "a", "b", "c", "n", "rmse", "mre", "r2", "loo_rmse"):
        table.add_column(col)
    for r in ratings.to_dict("records"):
        table.add_row(
            str(r["gate"]),
            r["model"],
            *(f"{r[c]:.4g}" for c in ("mu", "a", "b", "c")),
            str(r["n"]),
            f"{r['rmse']:.4g}",
            f"{r['mre']:.2%}",
            f"{r['r2']:.4f}",
            f"{r['loo_rmse']:.4g}",
        )
    console.print(table)
    if out is not None:
        _write(ratings, out)


def flow(
    record: Annotated[
        Path,
        typer.Argument(
            help="Opening record 开度记录 (CSV/XLSX): time, gate, opening_cm, head_up_m, [head_down_m]"
        ),
    ],
    ratings: Annotated[
        Path, typer.Option("--ratings", "-r", help="Ratings from `liuyu gates fit -o` (.json/.csv)")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the flows (.csv or .json) 输出")
    ] = None,
) -> None:
    """Compute gate flow from an opening record 由开度推算过闸流量."""
    from liuyu.manage.gates import gate_flow, read_table

    flows = gate_flow(read_table(record), read_table(ratings))
    summary = flows.groupby("gate").agg(
        rows=("flow_m3s", "size"),
        mean_m3s=("flow_m3s", "mean"),
        max_m3s=("flow_m3s", "max"),
        extrapolated=("extrapolated", "sum"),
    )
    console.print(summary.round(3).to_string(), highlight=False)
    if out is not None:
        _write(flows, out)


gates_app.command("fit")(fit)
gates_app.command("flow")(flow)


def register(app: typer.Typer) -> None:
    app.add_typer(gates_app, name="gates")
