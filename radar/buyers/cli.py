"""``tender-radar buyer``: add a buying organisation, issue and revoke its API tokens.

A token is printed once, alone on the last line (so a script can take ``tail -n 1``);
the store keeps only its hash.
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol


class Problems(Protocol):
    def problem(self, text: str) -> None: ...


def add_buyer_parser(sub: Any) -> None:
    """The ``buyer`` command and its subcommands, on the main parser's subparsers."""
    p = sub.add_parser("buyer", help="buying organisations and their API tokens")
    actions = p.add_subparsers(dest="buyer_command", required=True)

    a = actions.add_parser("add", help="add an organisation; prints its first API token on the last line")
    a.add_argument("name")
    a.add_argument("--org-number", required=True, help="its Swedish organisation number, NNNNNN-NNNN")
    a.add_argument("--region", action="append", default=[], required=True,
                   help="a county, municipality or NUTS code it buys for; repeat for a joint body")  # fmt: skip
    a.add_argument("--email", help="where enterprises' replies to its invitations go (Reply-To)")
    a.set_defaults(func=cmd_buyer_add)

    t = actions.add_parser("token", help="issue another API token for an organisation (printed once)")
    t.add_argument("name", help="the organisation's name")
    t.add_argument("--token-name", help="a name to revoke it by (default: the organisation's, numbered)")
    t.set_defaults(func=cmd_buyer_token)

    r = actions.add_parser("revoke", help="revoke an API token by its name")
    r.add_argument("token_name")
    r.set_defaults(func=cmd_buyer_revoke)

    u = actions.add_parser("user", help="a login acting for an organisation (password on standard input)")
    u.add_argument("username")
    u.add_argument("name", help="the organisation's name")
    u.add_argument("--language", choices=("sv", "en"), default="sv")
    u.set_defaults(func=cmd_buyer_user)

    pl = actions.add_parser("plan", help="preview (or --import) a procurement plan from XLSX or CSV")
    pl.add_argument("name", help="the organisation's name")
    pl.add_argument("file")
    pl.add_argument("--column", action="append", default=[], metavar="FIELD=HEADER",
                    help="which column holds a field (title, expected_publication, procedure_id, description, cpv, "
                    "place, value, reserved); unnamed fields are guessed from the headers")  # fmt: skip
    pl.add_argument("--import", dest="do_import", action="store_true", help="import the good rows (else preview)")
    pl.set_defaults(func=cmd_buyer_plan)

    s = actions.add_parser("list", help="the organisations, their areas and tokens")
    s.set_defaults(func=cmd_buyer_list)


def _store() -> Any:
    from tenders.config import load_settings
    from tenders.store import open_store

    return open_store(load_settings())


def cmd_buyer_add(args: argparse.Namespace, run: Problems) -> None:
    from radar.buyers.notices import BuyerError, add_buyer

    try:
        issued = add_buyer(_store(), args.name, args.org_number, args.region, args.email)
    except BuyerError as exc:
        run.problem(str(exc))
        return
    print(f"{issued.org.name} ({issued.org.formatted_number}): buys for {', '.join(issued.org.regions)}")
    print(f"API token {issued.name!r}, shown only now:")
    print(issued.token)


def cmd_buyer_token(args: argparse.Namespace, run: Problems) -> None:
    from radar.buyers.notices import BuyerError, issue_token

    try:
        issued = issue_token(_store(), args.name, args.token_name)
    except BuyerError as exc:
        run.problem(str(exc))
        return
    print(f"API token {issued.name!r} for {issued.org.name}, shown only now:")
    print(issued.token)


def cmd_buyer_revoke(args: argparse.Namespace, run: Problems) -> None:
    from radar.buyers.notices import BuyerError, revoke_token

    try:
        revoke_token(_store(), args.token_name)
    except BuyerError as exc:
        run.problem(str(exc))
        return
    print(f"{args.token_name}: revoked")


def cmd_buyer_user(args: argparse.Namespace, run: Problems) -> None:
    """A login with the role buyer; a new login's password comes from standard input, never the command line."""
    from radar.passwords import hash_password_from_input
    from tenders.store.buyers import BuyerStore

    store = _store()
    buyers = BuyerStore(store)
    org = buyers.org_by_name(args.name)
    if org is None:
        run.problem(f"no buyer named {args.name!r}")
        return
    login = store.coordinator(args.username)
    if login is not None and (login.regions or login.is_admin) and buyers.org_of_user(args.username) is None:
        run.problem(f"{args.username} is a coordinator; a buyer needs a login of its own")
        return
    if login is None:
        try:
            hashed = hash_password_from_input()
        except ValueError as exc:
            run.problem(str(exc))
            return
        store.save_coordinator(args.username, hashed, [], language=args.language)
    buyers.add_user(args.username, org.org_number)
    print(f"{args.username}: buyer for {org.name}")


def cmd_buyer_list(args: argparse.Namespace, run: Problems) -> None:
    from tenders.store.buyers import BuyerStore

    buyers = BuyerStore(_store())
    for org in buyers.orgs():
        print(f"{org.name} ({org.formatted_number}): {', '.join(org.regions)}")
        for token in buyers.tokens(org.org_number):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "live"
            used = f"last used {token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
            print(f"  token {token.name}: {state}, {used}")


def cmd_buyer_plan(args: argparse.Namespace, run: Problems) -> None:
    from pathlib import Path

    from radar.buyers.plans import PlanError, guess_mapping, import_plan, plan_rows, read_table
    from tenders.config import load_settings
    from tenders.store.buyers import BuyerStore

    store = _store()
    org = BuyerStore(store).org_by_name(args.name)
    if org is None:
        run.problem(f"no buyer named {args.name!r}")
        return
    given = {}
    for item in args.column:
        name, sep, header = item.partition("=")
        if not sep:
            run.problem(f"--column {item!r}: expected FIELD=HEADER")
            return
        given[name.strip()] = header.strip()
    try:
        table = read_table(Path(args.file).read_bytes(), args.file)
        mapping = {**guess_mapping(table.headers), **given}
        rows = plan_rows(table, mapping)
    except (OSError, PlanError) as exc:
        run.problem(str(exc))
        return
    print("columns: " + ", ".join(f"{k}={v!r}" for k, v in mapping.items()))
    for row in rows:
        state = "; ".join(f"{k}: {v}" for k, v in row.errors.items()) or "ok"
        title, expected = str(row.notice.get("title")), str(row.notice.get("expected_publication", "-"))
        print(f"line {row.line}: {title:<50.50} {expected:<10} {state}")
    if not args.do_import:
        print(f"{sum(not r.errors for r in rows)} of {len(rows)} rows can be imported (preview; add --import)")
        return
    done = import_plan(store, org, rows, "cli", base_url=load_settings().base_url)
    print(f"imported: {len(done.created)} new, {len(done.updated)} updated, {len(done.unchanged)} unchanged, "
          f"{len(done.failed)} failed")  # fmt: skip
    for line, errors in done.failed:
        run.problem(f"{args.file}: line {line}: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
