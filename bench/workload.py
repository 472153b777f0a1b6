"""What the benchmarks serve: pages that compress like GitHub's."""

import random


def vary_pulls(repo, seed):
    """Give each pull request its own author, text and commit ids, as on a real page.

    The simulator's copies differ only in number and dates, which would
    compress far better than GitHub's pages do; these differences keep the
    gzip ratio near a real page's (printed with the results).
    """
    rng = random.Random(seed)
    words = "the a fix add remove update test cache client webhook token retry page error build docs".split()
    for pull in repo.pulls:
        pull["body"] = " ".join(
            rng.randbytes(4).hex() if rng.random() < 0.1 else rng.choice(words) + rng.choice(["", "s", "ed", "ing"])
            for _ in range(400)
        )
        pull["title"] = " ".join(rng.choice(words) for _ in range(8))
        for side in ("head", "base"):
            if isinstance(pull.get(side), dict):
                pull[side]["sha"] = rng.randbytes(20).hex()
        if isinstance(pull.get("user"), dict):
            pull["user"].update(login=f"developer-{rng.randrange(10**6)}", id=rng.randrange(10**8))
        pull["node_id"] = rng.randbytes(12).hex()
