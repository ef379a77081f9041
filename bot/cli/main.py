"""`salesbot`: set up the database, fill it, import, look customers up, run servers."""

from __future__ import annotations

import datetime as dt
import signal
import sys
import time
from pathlib import Path

import click

from bot import bootstrap, config
from bot.customers.present import card_fields
from bot.services.customers import Actor

CLI_ACTOR = Actor(sender_id="cli", channel="cli")


@click.group()
def cli() -> None:
    """salesbot: conversational sales assistant for retail chains."""


@cli.command()
def migrate() -> None:
    """Create or upgrade the schema of DATABASE_URL (default: var/salesbot.db):
    the only command that migrates (run it once per release, before the servers)."""
    from bot.db.migrate import safe_url, upgrade

    upgrade(config.database_url())
    click.echo(f"schema up to date: {safe_url(config.database_url())}")


@cli.command("demo-data")
@click.option(
    "--customers", default=2000, show_default=True, type=click.IntRange(1, 5_000_000)
)
@click.option("--seed", default=42, show_default=True, type=int)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="last day of the 2 years of orders (default: today in SALESBOT_TZ)",
)
@click.option(
    "--activity",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.1, 10),
    help="multiplies how often the regular personas buy",
)
@click.option("--reset", is_flag=True, help="drop and recreate all tables first")
@click.option(
    "--if-empty",
    is_flag=True,
    help="do nothing when the database already has customers",
)
def demo_data(
    customers: int, seed: int, as_of, activity: float, reset: bool, if_empty: bool
) -> None:
    """Fill the database with the demo retailer (deterministic for a seed and date)."""
    from bot.demo.generator import DatabaseNotEmpty, DemoConfig, generate

    services = bootstrap.services()
    if reset:  # recreating the tables is migrating, and the user asked for it
        from bot.db.migrate import upgrade

        _drop_all(services.engine)
        upgrade(services.database_url)
    _require_schema(services.database_url)
    day = as_of.date() if as_of else _today()
    try:
        summary = generate(
            services.engine,
            services.knowledge,
            DemoConfig(
                customers=customers,
                seed=seed,
                as_of=day,
                activity=activity,
                tz=config.business_timezone(),
            ),
            progress=sys.stderr.isatty() or customers >= 100_000,
        )
    except DatabaseNotEmpty:
        if if_empty:
            click.echo("database already has customers; nothing to do")
            return
        raise click.ClickException(
            "the database already has customers; use --reset to rebuild it"
        ) from None
    click.echo(
        f"demo data: {summary.stores} stores, {summary.staff} staff, "
        f"{summary.customers} customers, {summary.orders} orders, "
        f"{summary.order_lines} order lines in {summary.seconds:.1f}s "
        f"(as of {day}, seed {seed}); try phone 13800000000"
    )


def _drop_all(engine) -> None:
    from sqlalchemy import text

    from bot.db.tables import metadata

    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@cli.command("import")
@click.argument(
    "kind", type=click.Choice(["customers", "products", "transactions", "returns"])
)
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path),
    help="where to write rejected rows (default: PATH.rejects.csv)",
)
@click.option("--strict", is_flag=True, help="import nothing if any row is rejected")
def import_cmd(kind: str, path: Path, report_path: Path | None, strict: bool) -> None:
    """Import a CSV file of KIND (columns: see README)."""
    from bot.importer.loader import ImportFileError, import_file, write_report

    services = bootstrap.services()
    _require_schema(services.database_url)
    try:
        report = import_file(
            services.engine,
            kind,
            path,
            config.business_timezone(),
            progress=sys.stderr.isatty(),
            strict=strict,
            rules=services.knowledge.imports,
        )
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    _print_report(report, path, report_path, write_report, services.knowledge.currency)
    if report.rolled_back:
        raise click.ClickException(
            "rows were rejected; nothing was imported (--strict)"
        )


def _print_report(
    report, path: Path, report_path: Path | None, write_report, currency
) -> None:
    from bot.locale.zh.money import money

    click.echo(
        f"{report.kind}: {report.rows} rows read, {report.inserted} imported, "
        f"{report.skipped_existing} already present, {len(report.rejections)} rejected"
        + (f", {len(report.warnings)} with warnings" if report.warnings else "")
    )
    if report.returns:
        click.echo(
            f"{report.returns} return lines stored, "
            f"{money(report.returned_fen, currency)} netted against the sales "
            "they undo"
        )
    if report.rejections or report.warnings:
        reasons = report.count_by_code() + report.count_by_code("warnings")
        click.echo(
            "by reason: " + ", ".join(f"{k} {n}" for k, n in reasons.most_common())
        )
    if report.set_aside:
        rules = ", ".join(f"{k} {n}" for k, n in report.set_aside.most_common(8))
        click.echo(
            f"{sum(report.set_aside.values())} non-merchandise rows set aside "
            f"(postage, fees, vouchers; knowledge/imports.yml): {rules}"
        )
    if report.warnings:
        warned = path.with_name(path.name + ".warnings.csv")
        write_report(report, warned, "warnings")
        click.echo(f"rows imported with a warning, with line numbers: {warned}")
    if report.rejections:
        target = report_path or path.with_name(path.name + ".rejects.csv")
        write_report(report, target)
        click.echo(f"rejected rows with line numbers and reasons: {target}")


@cli.command("nlu-report")
@click.argument("cross_validation", type=click.Path(exists=True, path_type=Path))
@click.argument("held_out", type=click.Path(exists=True, path_type=Path))
@click.option("--floors", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--chart", type=click.Path(path_type=Path), default=None)
def nlu_report(cross_validation: Path, held_out: Path, floors: Path, chart) -> None:
    """Intent accuracy of Rasa's cross-validation and of the held-out file, the
    confusions, a chart; fails below the floors (tests/nlu/floors.yml)."""
    import yaml

    from bot.reports.nlu import below_floor, read_evaluation, save_confusion_chart

    limits = yaml.safe_load(floors.read_text(encoding="utf-8"))
    runs = [
        (read_evaluation("交叉验证", cross_validation), limits["cross_validation"]),
        (read_evaluation("留出集", held_out), limits["held_out"]),
    ]
    for evaluation, floor in runs:
        click.echo(
            f"{evaluation.name}: accuracy {evaluation.accuracy:.3f} "
            f"(floor {floor:.2f}), weighted F1 {evaluation.f1:.3f}, "
            f"{evaluation.support} examples"
        )
        for expected, predicted, n in evaluation.confusions[:10]:
            click.echo(f"  {n:3d}  {expected} -> {predicted}")
    if chart:
        save_confusion_chart([e for e, _ in runs], chart)
        click.echo(f"chart: {chart}")
    failed = [e.name for e, floor in runs if below_floor(e, floor)]
    if failed:
        raise click.ClickException(f"below the floor: {', '.join(failed)}")


@cli.command("nlu-assets")
@click.option(
    "--check", is_flag=True, help="fail if the files are out of date instead of writing"
)
def nlu_assets(check: bool) -> None:
    """Write the jieba dictionary and lookup tables derived from the catalog."""
    from bot.nlu_assets import render

    stale = []
    for relative, content in render(bootstrap.services().knowledge).items():
        path = config.PROJECT_ROOT / relative
        if path.exists() and path.read_text(encoding="utf-8") == content:
            continue
        stale.append(str(relative))
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    if check and stale:
        raise click.ClickException(
            f"out of date: {', '.join(stale)}; run salesbot nlu-assets"
        )
    click.echo(
        f"{'updated' if stale else 'up to date'}: {', '.join(stale) or 'nlu assets'}"
    )


@cli.command()
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="reference day (default: today in SALESBOT_TZ); not after today",
)
@click.option(
    "--drop",
    "drop",
    type=click.DateTime(["%Y-%m-%d"]),
    help="remove the snapshot of this day instead of segmenting",
)
def segment(as_of, drop) -> None:
    """Segment every customer: RFM, value, CLV, lifecycle, preferences, strategy."""
    from bot.services.segmentation import (
        SnapshotDateError,
        check_as_of,
        drop_snapshot,
        run_segmentation,
    )

    services = bootstrap.services()
    _require_schema(services.database_url)
    if drop:
        removed = drop_snapshot(services.engine, drop.date())
        if not removed:
            raise click.ClickException(f"no snapshot of {drop.date()}")
        click.echo(f"snapshot {drop.date()} removed")
        return
    day = as_of.date() if as_of else _today()
    try:
        check_as_of(services.engine, day, _today(), config.business_timezone())
    except SnapshotDateError as error:
        raise click.ClickException(str(error)) from None
    report = run_segmentation(
        services.engine,
        services.knowledge,
        day,
        config.business_timezone(),
        progress=sys.stderr.isatty(),
    )
    click.echo(
        f"snapshot {report.as_of}: {report.customers} customers "
        f"({report.buyers} buyers) in {report.seconds:.1f}s "
        f"({', '.join(f'{k} {v:.1f}s' for k, v in report.phases.items())})"
    )
    from bot.locale.zh.clv import PROBLEMS

    problems = report.params.get("clv_problems") or []
    if problems:
        click.echo(
            "CLV: BG/NBD fit not usable ("
            + ", ".join(f"{p}: {PROBLEMS.get(p, p)}" for p in problems)
            + "); alive probability and purchases follow the lifecycle rhythm"
        )
    else:
        fitted = report.params.get("bgnbd", {})
        click.echo(
            "CLV: BG/NBD " + ", ".join(f"{k} {v:.3f}" for k, v in fitted.items())
        )
    names = services.knowledge.segments.display_names()
    sections = (
        ("segment", report.segments, names["segment"]),
        ("value tier", report.tiers, names["tier"]),
        ("lifecycle", report.lifecycle, names["lifecycle"]),
    )
    for title, counts, labels in sections:
        click.echo(f"\n{title}:")
        for key, count in sorted(counts.items(), key=lambda item: -item[1]):
            click.echo(f"  {labels.get(key, key)} ({key}): {count}")


@cli.command("clv-check")
@click.option(
    "--transactions",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="CDNOW layout or a CSV with a customer and a date column",
)
@click.option(
    "--calibration-end",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="last day of the calibration period; the holdout is the rest",
)
@click.option(
    "--holdout-end",
    type=click.DateTime(["%Y-%m-%d"]),
    help="last day of the holdout (default: the last day in the file)",
)
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    help="where to save the chart (default: FILE.clv-check.png)",
)
def clv_check(path: Path, calibration_end, holdout_end, chart: Path | None) -> None:
    """Fit BG/NBD on the calibration period and compare its forecast of each
    customer's repeat purchases with the holdout (Fader and Hardie's check)."""
    from bot.importer.purchases import PurchaseFileError, read_purchases
    from bot.reports.clv import check_table, save_check_chart
    from bot.segments.clv_check import holdout_check

    try:
        found = read_purchases(path)
    except PurchaseFileError as error:
        raise click.ClickException(str(error)) from None
    if not found.days:
        raise click.ClickException(f"{path}: no purchases read")
    end = calibration_end.date().toordinal()
    last = holdout_end.date().toordinal() if holdout_end else max(found.days)
    if not min(found.days) <= end < last:
        raise click.ClickException(
            "the calibration end must fall inside the data, before the holdout end "
            f"(data: {dt.date.fromordinal(min(found.days))} to "
            f"{dt.date.fromordinal(max(found.days))})"
        )
    rules = bootstrap.services().knowledge.segments.clv
    check = holdout_check(
        found.customers,
        found.days,
        end,
        last,
        unit_days=rules.time_unit_days,
        min_repeat_buyers=rules.min_repeat_buyers,
    )
    dropped = ", ".join(f"{k} {n}" for k, n in found.dropped.most_common())
    click.echo(
        f"{len(found.days)} purchases read"
        + (f" ({dropped} left out)" if dropped else "")
    )
    click.echo(check_table(check))
    target = chart or path.with_name(path.name + ".clv-check.png")
    save_check_chart(check, target)
    click.echo(f"chart: {target}")


@cli.command("segment-migration")
@click.option(
    "--from",
    "before",
    type=click.DateTime(["%Y-%m-%d"]),
    help="earlier snapshot (default: second latest)",
)
@click.option(
    "--to",
    "after",
    type=click.DateTime(["%Y-%m-%d"]),
    help="later snapshot (default: latest)",
)
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    help="where to save the chart (.png or .svg)",
)
def segment_migration(before, after, chart: Path | None) -> None:
    """How customers moved between segments from one snapshot to another (chart)."""
    from bot.reports.migration import migration_table, save_migration_chart
    from bot.services.segmentation import migration, snapshot_dates

    services = bootstrap.services()
    dates = snapshot_dates(services.engine)
    if len(dates) < 2 and not (before and after):
        raise click.ClickException(
            "need two snapshots: run `salesbot segment --as-of DATE` twice"
        )
    start = before.date() if before else dates[-2]
    end = after.date() if after else dates[-1]
    for day in (start, end):
        if day not in dates:
            raise click.ClickException(
                f"no snapshot for {day}; snapshots: {', '.join(map(str, dates))}"
            )
    pairs = migration(services.engine, start, end)
    order = [rule.key for rule in services.knowledge.segments.rfm_segments]
    order.append(services.knowledge.segments.prospect_segment.key)
    click.echo(migration_table(pairs, order, start, end))
    target = (
        chart
        or config.PROJECT_ROOT
        / "var"
        / "reports"
        / f"segment-migration-{start}-{end}.png"
    )
    save_migration_chart(pairs, order, start, end, target)
    click.echo(f"chart: {target}")


@cli.command("demo-retail-log")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(["fashion", "wholesale", "grocery"]),
    help="a shop of this kind (its own customers, items and habits)",
)
@click.option(
    "--customers", type=click.IntRange(10), help="default 3000, or the kind's"
)
@click.option("--items", type=click.IntRange(10), help="default 2500, or the kind's")
@click.option("--seed", default=0, show_default=True, type=int)
def demo_retail_log(
    path: Path, kind: str | None, customers: int | None, items: int | None, seed: int
) -> None:
    """Write a synthetic, messy log in the "Online Retail" layout (for trying the
    evaluation without a real log; its numbers say nothing about a real shop)."""
    from dataclasses import replace

    from bot.demo.retail_log import DEFAULT_SHAPE, KINDS, write_online_retail

    shape = KINDS[kind] if kind else DEFAULT_SHAPE
    shape = replace(
        shape,
        customers=customers or shape.customers,
        items=items or shape.items,
    )
    rows = write_online_retail(path, shape, seed)
    click.echo(f"{rows} rows written to {path}")


@cli.command("demo-export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--customers", default=1500, show_default=True, type=click.IntRange(30))
@click.option("--products", default=800, show_default=True, type=click.IntRange(50))
@click.option("--seed", default=0, show_default=True, type=int)
def demo_export(directory: Path, customers: int, products: int, seed: int) -> None:
    """Write a retailer's export shaped like a real one (pounds, cancellations, fee
    codes, invoice lines a minute apart, history that ended in 2011) as
    customers.csv, products.csv and transactions.csv, for trying `salesbot import`
    (set knowledge/currency.yml and membership.yml to GBP first)."""
    from bot.demo.export import ExportShape, write_export

    shape = ExportShape(customers=customers, products=products)
    facts = write_export(directory, shape, seed)
    click.echo(
        f"{facts.lines} transaction lines written to {directory} "
        f"({facts.sale_lines} sale, {facts.return_lines} return, {facts.fee_lines} "
        f"fee and postage, {facts.anonymous_lines} without a customer; "
        f"{facts.first_day} to {facts.last_day})"
    )


@cli.command("evaluate-recommender")
@click.option(
    "--transactions",
    "path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='CSV or .xlsx in the "Online Retail" layout (InvoiceNo, StockCode, ...)',
)
@click.option("--holdout-days", default=90, show_default=True, type=click.IntRange(7))
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option(
    "--chart", type=click.Path(path_type=Path), help="where to save the chart"
)
@click.option(
    "--view",
    type=click.Choice(["new", "all", "both"]),
    default="both",
    show_default=True,
    help="what counts as a hit: items new to her, every purchase, or both tables",
)
@click.option("--json", "as_json", is_flag=True, help="print the results as JSON")
def evaluate_recommender(
    path: Path,
    holdout_days: int,
    k: int,
    chart: Path | None,
    view: str,
    as_json: bool,
) -> None:
    """Popularity, item-KNN, EASE, ALS, association rules, buying again and the
    blend on a temporal split, each tuned on the period before the holdout."""
    import json

    from bot.recommend.offline import CONTENDERS, compare_views
    from bot.recommend.retail_log import LogFormatError, read_online_retail
    from bot.reports.recommender import comparison_table, save_comparison_chart
    from bot.services.recommendations import settings_of

    knowledge = bootstrap.services().knowledge
    try:
        with tqdm_bar(None, f"reading {path.name}") as bar:
            log = read_online_retail(path, knowledge.imports, progress=bar.update)
    except LogFormatError as error:
        raise click.ClickException(str(error)) from error
    click.echo(log.summary(), err=True)
    if len(log.items) == 0:
        raise click.ClickException("no usable rows left after cleaning")
    views = ("new", "all") if view == "both" else (view,)
    with tqdm_bar(len(CONTENDERS), f"recommenders ({', '.join(views)})") as bar:
        compared = compare_views(
            log,
            views,
            holdout_days,
            k,
            settings=settings_of(knowledge),
            progress=lambda name: bar.set_postfix_str(name) or bar.update(1),
            validation_customers=knowledge.recommend.learning.validation_customers,
        )
    results = [compared[one] for one in views]
    if not results[0].test_customers:
        raise click.ClickException(
            f"no customer bought anything in the last {holdout_days} days "
            "after buying before them: nothing to test on"
        )
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        click.echo("\n\n".join(comparison_table(r) for r in results))
    target = chart or config.PROJECT_ROOT / "var" / "reports" / "recommenders.png"
    save_comparison_chart(results, target)
    click.echo(f"chart: {target}", err=True)


@cli.command("train-recommender")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="train on orders up to the end of this day (default: today in SALESBOT_TZ)",
)
def train_recommender_cmd(as_of) -> None:
    """Fit the recommender on the order history and save a new model version."""
    from bot.reports.recommender import describe_learning
    from bot.services.recommendations import NothingToTrain, train_recommender

    services = bootstrap.services()
    _require_schema(services.database_url)
    day = as_of.date() if as_of else _today()
    try:
        with tqdm_bar(None, "order lines") as bar:
            model, path = train_recommender(
                services.engine,
                services.knowledge,
                config.business_timezone(),
                services.model_dir,
                day,
                progress=bar.update,
                step=bar.set_postfix_str,
            )
    except NothingToTrain as error:
        raise click.ClickException(
            f"{error}: import orders or run `salesbot demo-data` first"
        ) from error
    stats = model.stats
    click.echo(
        f"model {model.version}: {stats['lines']} order lines, "
        f"{stats['customers']} customers, {stats['items']} items, "
        f"{stats['similar_pairs']} similar pairs, {stats['rules']} rules "
        f"in {stats['seconds']:.1f}s -> {path}, published in the database for "
        "every server"
    )
    click.echo(describe_learning(stats.get("learning", {}), model.blend.settings))


@cli.command()
@click.argument("number")
@click.option(
    "--kind",
    type=click.Choice(["cross", "up", "personal"]),
    default="personal",
    show_default=True,
)
@click.option("--product", help="the item she is looking at (name, SKU, subcategory)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def recommend(number: str, kind: str, product: str | None, as_json: bool) -> None:
    """What the bot would suggest for a customer (phone or member number)."""
    import json

    from bot.recommend.present import suggestion_lines

    card = _card_of(number)
    view = bootstrap.services().recommendations.recommend(
        card.customer_id, kind, CLI_ACTOR, product
    )
    if as_json:
        items = [s.__dict__ for s in view.suggestions]
        click.echo(
            json.dumps(
                {"customer": view.masked_name, "kind": kind, "items": items},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(f"{view.masked_name} ({kind}):")
    currency = bootstrap.services().knowledge.currency
    lines = suggestion_lines(view.suggestions, currency)
    click.echo("\n".join(lines) or "  (nothing fits)")


@cli.command("recommend-report")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1))
@click.option(
    "--chart", type=click.Path(path_type=Path), help="where to save the chart"
)
def recommend_report(days: int, chart: Path | None) -> None:
    """Acceptance of suggestions by kind, segment and store (chart)."""
    from bot.reports.acceptance import acceptance_table, save_acceptance_chart
    from bot.services.recommendation_report import acceptance

    services = bootstrap.services()
    report = acceptance(services.engine, days)
    click.echo(acceptance_table(report))
    target = chart or config.PROJECT_ROOT / "var" / "reports" / "recommendations.png"
    save_acceptance_chart(report, target)
    click.echo(f"chart: {target}")


@cli.group()
def care() -> None:
    """After-sales care messages: plan them into the outbox."""


@care.command("plan")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="plan the messages due on this day (default: today in SALESBOT_TZ)",
)
def care_plan(as_of) -> None:
    """Plan due care messages (idempotent: a second run adds nothing)."""
    from bot.services.care import plan_care

    services = bootstrap.services()
    _require_schema(services.database_url)
    day = as_of.date() if as_of else _today()
    with tqdm_bar(None, "customers planned") as bar:
        run = plan_care(
            services.engine,
            services.knowledge,
            config.business_timezone(),
            day,
            progress=bar.update,
        )
    r = run.report
    click.echo(
        f"care plan {run.as_of}: {run.added} messages added to the outbox "
        f"in {run.seconds:.1f}s"
    )
    click.echo(
        f"{'trigger':<12}{'planned':>9}{'holdout':>9}{'no consent':>12}"
        f"{'capped':>8}{'already':>9}"
    )
    triggers = sorted(
        set(r.planned) | set(r.no_consent) | set(r.capped) | set(r.already)
    )
    for name in triggers:
        click.echo(
            f"{name:<12}{r.planned[name]:>9}{r.holdout[name]:>9}"
            f"{r.no_consent[name]:>12}{r.capped[name]:>8}{r.already[name]:>9}"
        )


@care.command("dispatch")
@click.option(
    "--sink",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON-lines file the messages go to (default: var/outbox/sent.jsonl; "
    "WeChat when SALESBOT_WECHAT_APPID and _SECRET are set)",
)
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--pace", default=0.0, type=click.FloatRange(0), hidden=True)
@click.option(
    "--dry-run",
    is_flag=True,
    help="send nothing: show the route each due message takes",
)
@click.option("--json", "as_json", is_flag=True, help="the dry run as JSON")
@click.option(
    "--at",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
    help="the dry run at this local time (default: now)",
)
def care_dispatch(
    sink: Path | None, batch: int, pace: float, dry_run: bool, as_json: bool, at
) -> None:
    """Send the due messages of the outbox, at least once and never twice, each by
    the route WeChat allows for it now."""
    from bot.services.care import dispatch_care

    services = bootstrap.services()
    _require_schema(services.database_url)
    tz = config.business_timezone()
    if dry_run or as_json or at:
        _dry_run(services, tz, at, as_json)
        return
    outlet, target = _outlet(services, sink)
    try:
        run = dispatch_care(
            services.engine,
            services.knowledge.care,
            services.knowledge.wechat,
            outlet,
            tz,
            batch=batch,
            pace_seconds=pace,
        )
    finally:
        outlet.close()
    if run.quiet_hours:
        click.echo("quiet hours in SALESBOT_TZ: nothing sent")
        return
    by_route = ", ".join(
        f"{route} {run.routes[route]}"
        for route in ("customer_service", "subscribe", "template")
        if run.routes[route]
    )
    click.echo(
        f"sent {run.sent}{f' ({by_route})' if by_route else ''}, "
        f"clerk tasks {run.tasks}, not sent {run.not_sent}, "
        f"already delivered {run.already_delivered}, "
        f"to retry {run.retrying}, failed {run.failed} -> {target}"
    )
    for (route, reason), count in sorted(run.reasons.items()):
        click.echo(f"  {route:<17}{reason:<18}{count:>6}")


def _outlet(services, sink: Path | None):
    from bot.outbound.outlets import FileOutlet, WeChatOutlet

    if services.wechat is not None and sink is None:
        return WeChatOutlet(services.wechat), "WeChat"
    target = sink or config.PROJECT_ROOT / "var" / "outbox" / "sent.jsonl"
    return FileOutlet(target), target


def _dry_run(services, tz, at, as_json: bool) -> None:
    import json
    from collections import Counter

    from bot.services.care import plan_routes
    from bot.timeutil import local_time, local_to_utc, utcnow

    moment = local_to_utc(at, tz) if at else utcnow()
    plans = plan_routes(services.engine, services.knowledge.wechat, moment)
    if services.knowledge.care.quiet_hours.contains(local_time(moment, tz)):
        click.echo(
            "note: that is inside the quiet hours; nothing would go out", err=True
        )
    if as_json:
        rows = [
            {
                "key": p.key,
                "customer_id": p.customer_id,
                "trigger": p.trigger,
                "route": p.route,
                "reason": p.reason,
                "window_open": p.window_open,
            }
            for p in plans
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    counts = Counter((p.route, p.reason) for p in plans)
    click.echo(f"{len(plans)} messages due (dry run: nothing sent)")
    click.echo(f"{'route':<18}{'reason':<18}{'messages':>9}")
    for (route, reason), count in sorted(counts.items()):
        click.echo(f"{route:<18}{reason:<18}{count:>9}")


@cli.command("care-report")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1))
@click.option(
    "--chart", type=click.Path(path_type=Path), help="where to save the chart"
)
def care_report(days: int, chart: Path | None) -> None:
    """Care messages sent, converted and uplift against the holdout (chart)."""
    from bot.reports.care import outcomes_table, save_outcomes_chart
    from bot.services.care_report import care_outcomes

    services = bootstrap.services()
    rules = services.knowledge.care
    report = care_outcomes(
        services.engine,
        rules.conversion_days,
        days,
        reply_hours=rules.reply_hours,
    )
    click.echo(outcomes_table(report))
    target = chart or config.PROJECT_ROOT / "var" / "reports" / "care.png"
    save_outcomes_chart(report, target)
    click.echo(f"chart: {target}")


@cli.command("validate-data")
def validate_data() -> None:
    """Validate domain, NLU data, stories and rules; any warning fails."""
    from bot.cli.validate import validate_project

    problems, tolerated = validate_project(config.PROJECT_ROOT)
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} validation warning(s)")
    click.echo(
        f"training data valid: no warnings ({len(tolerated)} responses sent only "
        "by custom actions, as expected)"
    )


@cli.command()
@click.argument("number")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="her card as it stood on this day (orders up to it, days counted to it)",
)
def lookup(number: str, as_of) -> None:
    """Print the customer card for a phone or member number (audited as 'cli')."""
    card = _card_of(number, as_of.date() if as_of else None)
    currency = bootstrap.services().knowledge.currency
    for key, value in card_fields(card, currency).items():
        click.echo(f"{key}: {value}")


@cli.command()
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    default=Path("models/salesbot.tar.gz"),
    show_default=True,
)
@click.option(
    "--port", default=5005, show_default=True, type=int, help="Rasa server port"
)
@click.option("--action-port", default=5055, show_default=True, type=int)
@click.option("--web-port", default=8080, show_default=True, type=int)
def run(model: Path, port: int, action_port: int, web_port: int) -> None:
    """Run the action server, the Rasa server and the consoles on 127.0.0.1."""
    import secrets

    from bot.runtime.servers import (
        ServerFailed,
        start_action_server,
        start_rasa_server,
        start_web_server,
    )

    root = config.PROJECT_ROOT
    if not (root / model).exists():
        raise click.ClickException(f"no model at {model}; run `make model` first")
    _require_schema(config.database_url())
    env = {
        "DATABASE_URL": config.database_url(),
        "SALESBOT_CONSOLE_SECRET": config.console_secret() or secrets.token_urlsafe(32),
    }
    logs = root / "var" / "log"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    actions = start_action_server(action_port, env, logs / "actions.log", root)
    rasa = start_rasa_server(
        root / model,
        port,
        action_port,
        env,
        logs / "rasa.log",
        root,
        tracker_url=config.tracker_url(),
    )
    web = start_web_server(
        web_port,
        {**env, "SALESBOT_RASA_URL": f"http://127.0.0.1:{port}"},
        logs / "web.log",
        root,
    )
    try:
        actions.wait_healthy(120)
        web.wait_healthy(60)
        click.echo("loading the model...")
        rasa.wait_healthy(300)
        click.echo(
            f"salesbot is ready: POST http://127.0.0.1:{port}/webhooks/rest/webhook\n"
            f"  curl -s -XPOST http://127.0.0.1:{port}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' "
            '-d \'{"sender": "clerk-1", "message": "帮我查一下13800000000"}\'\n'
            f"WeChat (customers): http://127.0.0.1:{port}/webhooks/wechat/webhook\n"
            '  salesbot wechat-say "有什么新品"   (verification codes: '
            f"{logs / 'actions.log'})\n"
            f"consoles: http://127.0.0.1:{web_port}/ (clerks) and "
            f"http://127.0.0.1:{web_port}/manager (managers); demo logins s01c1, "
            "s01m, hq, password demo1234\n"
            f"logs: {logs}; Ctrl-C stops the servers"
        )
        while all(s.process.poll() is None for s in (actions, rasa, web)):
            time.sleep(1)
        raise click.ClickException("a server stopped; see the logs in var/log")
    except ServerFailed as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        click.echo("stopping...")
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        web.stop()
        rasa.stop()
        actions.stop()


def _card_of(number: str, as_of=None):
    """The card of the customer with this phone or member number (audited as the
    command line), or a clear error."""
    from bot.customers.identifiers import IdentifierError
    from bot.services.customers import CustomerNotFound

    kind = "member_no" if number.strip().upper().startswith("M") else "phone"
    try:
        return bootstrap.services().customers.lookup(kind, number, CLI_ACTOR, as_of)
    except IdentifierError as error:
        raise click.ClickException(
            f"not a valid {kind}: {number} ({error.code})"
        ) from error
    except CustomerNotFound as error:
        raise click.ClickException(str(error)) from error


def tqdm_bar(total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=label, disable=not sys.stderr.isatty(), leave=False)


def _today() -> dt.date:
    """Today in the shops' time zone (the server's own clock may be UTC)."""
    from bot.timeutil import local_date, utcnow

    return local_date(utcnow(), config.business_timezone())


def _require_schema(url: str) -> None:
    from bot.db.migrate import SchemaNotCurrent, require_current, safe_url

    try:
        require_current(url, safe_url(url))
    except SchemaNotCurrent as error:
        raise click.ClickException(str(error)) from None


def _register() -> None:
    from bot.cli.cluster import run_cluster
    from bot.cli.consoles import (
        export_corrections_cmd,
        forget,
        purge,
        reindex_conversations,
        web_cmd,
    )
    from bot.cli.wechat import handoff, wechat_say

    for command in (
        run_cluster,
        handoff,
        wechat_say,
        web_cmd,
        export_corrections_cmd,
        purge,
        forget,
        reindex_conversations,
    ):
        cli.add_command(command)


_register()

if __name__ == "__main__":
    cli()
