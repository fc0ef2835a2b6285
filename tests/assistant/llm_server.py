"""A small real HTTP server speaking the OpenAI chat-completions protocol (POST /v1/chat/completions), run in
a thread by the tests: it records each request and answers what the test sets — a JSON content, any text,
an HTTP error, or nothing for a while (to make the client time out). ``script`` holds whole assistant messages
(``tool_calls`` or a final ``content``) answered one per request, in order, for the function-calling tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ChatServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.content: str = "{}"
        self.status = 200
        self.delay = 0.0
        self.script: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.requests.append(json.loads(body))
                server.headers.append(dict(self.headers))
                if self.path != "/v1/chat/completions":
                    self.send_response(404)
                    self.end_headers()
                    return
                if server.delay:
                    time.sleep(server.delay)
                message = ({"role": "assistant", **server.script.pop(0)} if server.script
                           else {"role": "assistant", "content": server.content})
                payload = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
                                      "choices": [{"index": 0, "message": message,
                                                   "finish_reason": "tool_calls" if "tool_calls" in message else "stop"}]})
                try:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload.encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "ChatServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, obj: Any) -> None:
        self.content = obj if isinstance(obj, str) else json.dumps(obj)


def call(name: str, arguments: Any, n: int = 1) -> dict[str, Any]:
    """An assistant turn asking for one tool (``arguments`` a dict, or a raw string as a model may send)."""
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"content": None, "tool_calls": [{"id": f"call_{n}", "type": "function",
                                             "function": {"name": name, "arguments": args}}]}
