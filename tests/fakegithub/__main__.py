"""Run the GitHub simulator by hand: ``python -m tests.fakegithub [--port 8765]``.

Any /repos/{owner}/{repo} is created on first use. Point the service at it with
``GITHUB_API_URL=http://127.0.0.1:<port> GITHUB_TOKEN=<token>``.
"""

import argparse
import time

from .server import FakeGitHub


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.fakegithub", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback only unless you mean it")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="the only accepted token (default: any)")
    parser.add_argument("--rate-limit", type=int, default=5000, help="requests per window per token")
    parser.add_argument("--reset-in", type=int, default=3600, help="window length in seconds")
    parser.add_argument("--duration", type=float, default=0, help="stop after this many seconds (0: until Ctrl-C)")
    args = parser.parse_args(argv)

    fake = FakeGitHub(
        token=args.token,
        rate_limit=args.rate_limit,
        reset_in=args.reset_in,
        auto_create_repos=True,
        host=args.host,
        port=args.port,
    ).start()
    fake.add_repo("octocat", "hello-world")
    print(f"GitHub simulator on {fake.url}  (try: curl {fake.url}/repos/octocat/hello-world)", flush=True)
    print(f"bodies recorded from samples: {', '.join(fake.templates['recorded']) or 'none (built-in)'}", flush=True)
    try:
        deadline = time.monotonic() + args.duration if args.duration else None
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stats = fake.stats()
        fake.stop()
        print(f"stopped: {stats['requests']} requests, {stats['counted']} counted against the limit")


if __name__ == "__main__":
    main()
