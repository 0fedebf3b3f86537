"""Data files a body may replace (routing rules, queues): YAML read and checked against a schema.

Each bad file is one ConfigError naming the file, what is wrong and where the format is
described, with the caller's own codes for "missing", "not YAML" and "wrong shape".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from civicdesk.errors import ConfigError, describe_validation

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class DataFile:
    what: str  # "routing rules file", "queues file"
    setting: str  # the variable that names a replacement file
    doc: str  # where its format is described
    codes: tuple[str, str, str]  # missing, not YAML, wrong shape


def read_yaml_model(path: Path, model: type[Model], kind: DataFile) -> Model:
    missing, not_yaml, wrong_shape = kind.codes
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{kind.what} {path} does not exist.",
            hint=f"Fix {kind.setting} or unset it to use the built-in file.",
            code=missing,
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{kind.what} {path} is not valid YAML ({exc}).",
            hint="Fix the line named.",
            code=not_yaml,
        ) from None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(
            f"{kind.what} {path} does not match the schema ({describe_validation(exc)}).",
            hint=f"The built-in file's header and {kind.doc} describe the format.",
            code=wrong_shape,
        ) from None
