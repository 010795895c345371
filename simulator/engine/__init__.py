"""The engine: the step plan (:mod:`.plan`), one replicate (:mod:`.simulation`), replicates
and their tables (:mod:`.run`), results (:mod:`.results`)."""
