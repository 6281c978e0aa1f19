#!/bin/bash
# Lane 1's share of the exercise grading: once its other tests are done,
# lane 1 grades exercises from the queue that 70-exercises.t (lane 2)
# drains too (lib/exercises.sh), with the same checks.  At the end no
# exercise is left unclaimed.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
cd "$FASTUML_ROOT" || bail "no project root"
# shellcheck source=code/tests/lib/exercises.sh
. "$(dirname "$0")/lib/exercises.sh"

grade_queue
is "$(ls "$FASTUML_EXQ/todo")" "" "every exercise was claimed by a grading lane (this lane graded $graded_here)"
is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"
done_testing
