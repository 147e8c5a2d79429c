"""Forms, one module per side: `citizen` (registration, online submission, supplements),
`counter` (intake at the one-stop counter), `office` (the back office's actions and filters),
`lookup` (the public lookup, rating and feedback), and the shared `fields`. A form parses and
checks input; the decision is its service's."""
