"""The assistant's optional language model: a small ``Provider`` protocol, the offline default (no model) and
a client of an OpenAI-compatible chat-completions endpoint (Ollama, vLLM, llama.cpp's server, hosted APIs).
Whatever comes back is untrusted input: parsed as JSON, validated by a pydantic schema, checked against the
reply it was asked about; anything else is a ``ProviderError`` and the caller keeps its offline result."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from arcollect.settings import Settings

M = TypeVar("M", bound=BaseModel)


class ProviderError(Exception):
    """The model could not give a usable answer (not configured, unreachable, timed out, invalid output)."""


class Provider(Protocol):
    name: str  # what is shown with a result: "offline" or "model at host"

    @property
    def enabled(self) -> bool: ...

    def chat(self, *, system: str, user: str, schema: dict[str, Any] | None = None,
             schema_name: str = "answer") -> str:
        """The model's answer (the message content) to one system + user prompt."""
        ...


class Offline:
    """No language model: everything stays on this machine (the default)."""

    name = "offline"
    enabled = False

    def chat(self, *, system: str, user: str, schema: dict[str, Any] | None = None,
             schema_name: str = "answer") -> str:
        raise ProviderError("no language model is configured")

    def converse(self, *, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        raise ProviderError("no language model is configured")


class OpenAICompatible:
    """POST {base_url}/chat/completions with ``response_format`` json_schema (temperature 0), bounded by a
    timeout and a response size."""

    def __init__(self, *, base_url: str, model: str, api_key: str | None = None, timeout: float = 20.0,
                 max_bytes: int = 200_000) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.name = f"{model} at {urllib.parse.urlparse(self.base_url).netloc or self.base_url}"

    enabled = True

    def chat(self, *, system: str, user: str, schema: dict[str, Any] | None = None,
             schema_name: str = "answer") -> str:
        body: dict[str, Any] = {"model": self.model, "temperature": 0,
                                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
        if schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": schema_name, "schema": schema, "strict": True}}
        message = self._post(body)
        if "content" not in message:
            raise ProviderError("the endpoint's answer is not a chat completion")
        content = message["content"]
        if not isinstance(content, str):
            raise ProviderError("the chat completion has no text content")
        return content

    def converse(self, *, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
        """One turn of a conversation with ``tools`` (the function-calling protocol): the assistant's message as
        sent — ``content`` and/or ``tool_calls`` — still to be validated by the caller."""
        return self._post({"model": self.model, "temperature": 0, "messages": messages, "tools": tools,
                           "tool_choice": "auto"})

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                raw = response.read(self.max_bytes + 1)
        except (TimeoutError, socket.timeout):
            raise ProviderError(f"no answer within {self.timeout:g} s") from None
        except urllib.error.HTTPError as exc:
            raise ProviderError(f"the endpoint answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise ProviderError(f"no answer within {self.timeout:g} s") from None
            raise ProviderError(f"the endpoint cannot be reached: {reason}") from None
        if len(raw) > self.max_bytes:
            raise ProviderError(f"the answer is larger than {self.max_bytes} bytes")
        try:
            message = json.loads(raw)["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ProviderError("the endpoint's answer is not a chat completion") from None
        if not isinstance(message, dict):
            raise ProviderError("the endpoint's answer is not a chat completion")
        return message


def from_settings(settings: Settings) -> Provider:
    """The configured model, or ``Offline`` when LLM_BASE_URL or LLM_MODEL is not set."""
    if not settings.llm_base_url or not settings.llm_model:
        return Offline()
    return OpenAICompatible(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                            timeout=settings.llm_timeout_seconds, max_bytes=settings.llm_max_response_bytes)


def ask(provider: Provider, *, system: str, user: str, answer: type[M], name: str) -> M:
    """The model's answer validated as ``answer`` (its JSON schema is sent with the request)."""
    content = provider.chat(system=system, user=user, schema=answer.model_json_schema(), schema_name=name)
    text = content.strip()
    if text.startswith("```"):  # some servers wrap JSON in a code fence despite the schema
        text = text.strip("`").removeprefix("json").strip()
    try:
        return answer.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "answer"
        raise ProviderError(f"the model's answer is not valid: {where}: {first.get('msg')}") from None
