"""Run the sandbox alone: python -m jira_sandbox --port 8765 [--site acme] [--dc]."""

import argparse
import json
import time

from .server import Sandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m jira_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--site", default="acme", help="name of the default site")
    parser.add_argument("--dc", action="store_true", help="make the default site Data Center")
    parser.add_argument("--dc-version", default="9.12")
    parser.add_argument("--webhook", action="append", default=[], help="admin webhook URL")
    parser.add_argument("--webhook-secret", default=None)
    args = parser.parse_args(argv)
    sb = Sandbox(host=args.host, port=args.port).start()
    deployment = "dc" if args.dc else "cloud"
    site = sb.add_site(
        args.site, deployment=deployment, version=args.dc_version if args.dc else None
    )
    for url in args.webhook:
        site.add_admin_webhook(url, secret=args.webhook_secret)
    info = {
        "sandbox": sb.url,
        "control": f"{sb.url}/_control",
        "site": site.base_url,
        "deployment": deployment,
        "basic_auth": {"email": "admin@example.com", "token": "admin-token"},
        "admin_account_id": site.admin["accountId"],
        "projects": [p.key for p in site.projects.values()],
    }
    print(json.dumps(info, indent=2), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sb.stop()


if __name__ == "__main__":
    main()
