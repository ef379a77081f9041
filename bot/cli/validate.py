"""`salesbot validate-data`: Rasa's data validation, with warnings as errors.

Rasa 3.6 reports every response that only custom actions send as "not used in any story
or rule" (RasaHQ/rasa#4200). Our responses sent by actions are named `say_*`; that one
warning is expected for them and for nothing else. Warnings Rasa itself lists as
expected (`rasa.utils.common.EXPECTED_WARNINGS`) are ignored as Rasa's CLI does.
Every other warning fails.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

ACTION_ONLY = re.compile(
    r"^The utterance 'say_[a-z_]+' is not used in any story or rule\.$"
)


def validate_project(root: Path) -> tuple[list[str], list[str]]:
    """(problems, tolerated) warnings from Rasa's validator over the project at root."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import EXPECTED_WARNINGS
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_config(
        config_path=str(root / "config.yml"),
        domain_path=str(root / "domain.yml"),
        training_data_paths=[str(root / "data")],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category, pattern in EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", pattern, category)
        validator = Validator.from_importer(importer)
        checks = [
            validator.verify_domain_validity(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_forms_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
            validator.verify_nlu(False),
            validator.verify_story_structure(False),
        ]
    messages = [
        str(w.message).strip()
        for w in caught
        if issubclass(w.category, UserWarning) and "rasa" in w.filename
    ]
    problems = [m for m in messages if not ACTION_ONLY.match(m)]
    if not all(checks) and not problems:
        problems.append("Rasa's validator reported an error (see the log above)")
    return problems, [m for m in messages if ACTION_ONLY.match(m)]
