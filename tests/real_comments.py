"""Real short answers quoted in issue 20, from published NHS Friends and Family Test comments, that no concern
reader may flag: shared by the tests of the rules (test_concerns.py) and of the learned reader
(test_concerns_learned.py)."""

SHORT_ANSWERS = ["No nothing", "Not sure?", "Good advIce", "Just continue what you're doing!!",
                 "Because with the help I go.", "Proffesionly Treated during stay",
                 "XXXX spent time explaining things fully to me"]
