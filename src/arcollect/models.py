"""Imports every feature's models so that the one metadata knows every table (Alembic, tests)."""

from arcollect import audit  # noqa: F401
from arcollect import idempotency  # noqa: F401
from arcollect.auth import models as auth_models  # noqa: F401
from arcollect.ledger import models as ledger_models  # noqa: F401
from arcollect.playbook import models as playbook_models  # noqa: F401
from arcollect.worklist import models as worklist_models  # noqa: F401
from arcollect.promises import models as promises_models  # noqa: F401
from arcollect.disputes import models as disputes_models  # noqa: F401
from arcollect.escalations import models as escalations_models  # noqa: F401
from arcollect.outreach import models as outreach_models  # noqa: F401
from arcollect.cashapp import models as cashapp_models  # noqa: F401
from arcollect.periods import models as periods_models  # noqa: F401
from arcollect.risk import models as risk_models  # noqa: F401
from arcollect.assistant import agent_models as assistant_models  # noqa: F401
from arcollect.jobs import models as jobs_models  # noqa: F401
from arcollect.assistant import models as assistant_search_models  # noqa: F401
