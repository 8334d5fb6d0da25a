#!/usr/bin/env bash
# make chaos: the whole scenario catalog at full length, with reports.
# Not built yet: the catalog lands with issue 6. It says so and fails rather than pretend.
echo "make chaos: not available yet — the scenario catalog lands with issue 6." >&2
exit 2
