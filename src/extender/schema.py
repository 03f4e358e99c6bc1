"""The whole schema: importing this registers every domain's tables on ``Base.metadata``.
Migrations and the schema-drift test use it; add each new domain's models here."""

from __future__ import annotations

from sqlalchemy import MetaData

import extender.accounts.models
import extender.assessment.models
import extender.credentials.models
import extender.curriculum.models
import extender.placement.match_models
import extender.placement.models
import extender.practicum.models  # noqa: F401
from extender.db import Base

metadata: MetaData = Base.metadata
