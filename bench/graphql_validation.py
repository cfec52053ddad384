"""GraphQL validation benchmark (not a test): what refusing an attack and passing a real page cost.

Times the whole validation step as a request runs it (app/validation.py: the linear
limits pass, then graphql-core's standard rules), uncached, for the 40-level doubling
fragment chain (refused) and the README's storefront document (accepted). Prints key=value
lines; times are microseconds.

    .venv/bin/python bench/graphql_validation.py [--runs 500]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphql import parse, specified_rules  # noqa: E402

from core.settings import Settings  # noqa: E402
from app.limits import DocumentLimits  # noqa: E402
from app.validation import check_document  # noqa: E402
from schema.root import build_schema  # noqa: E402

STOREFRONT = """query Storefront($store: ID!) {
  store(id: $store) {
    name isOpenNow openingHours { weekday opens closes }
    products(first: 20, filter: {inStock: true}, sortBy: {field: NAME, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      edges { node { id name soldBy unitLabel category { name }
        skus { id code price { amount currency } basePrice { amount }
               stock { quantityAvailable inStock } quantityRule { step minimum pricePer } } } }
    }
  }
}"""


def chain(levels: int) -> str:
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "query Chain { ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ viewer {{ kind }} }}"


def measure(schema, text: str, runs: int) -> tuple[list[float], int]:
    limits = DocumentLimits()
    validate_uncached = check_document
    samples, errors = [], 0
    for _ in range(runs):
        document = parse(text)
        started = time.perf_counter()
        errors_found = validate_uncached(schema, document, tuple(specified_rules), limits, False)
        samples.append((time.perf_counter() - started) * 1e6)
        errors = len(errors_found.errors)
    return samples, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    schema = build_schema(Settings())._schema
    for name, text in (("chain40", chain(40)), ("storefront", STOREFRONT)):
        samples, errors = measure(schema, text, args.runs)
        cuts = statistics.quantiles(samples, n=100)
        print(f"{name}_errors={errors}")
        print(f"{name}_p50_us={cuts[49]:.0f}")
        print(f"{name}_p99_us={cuts[98]:.0f}")


if __name__ == "__main__":
    main()
