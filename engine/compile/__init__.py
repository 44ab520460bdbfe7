"""AST → vectorised pandas closures (:mod:`.compiler`), and the runtime they call (:mod:`.runtime`)."""
