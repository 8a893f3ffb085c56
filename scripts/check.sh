#!/bin/sh
# Type check and lint side by side (each uses one core), failing if either fails.
npm run -s typecheck & typecheck=$!
npm run -s lint; lint=$?
wait $typecheck; typecheck=$?
[ "$typecheck" -eq 0 ] && [ "$lint" -eq 0 ]
