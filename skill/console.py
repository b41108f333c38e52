"""The terminal side of `ask`, `chat` and `demo`: show responses, read phrases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from skill.conversation import Conversation, TransportError, plain_text

EXIT_WORDS = frozenset({"quit", "exit", "bye", ""})


def show(response: dict[str, Any], *, card: bool) -> None:
    """Print what Alexa would say, and the card if asked."""
    body = response.get("response", {})
    speech = body.get("outputSpeech") or {}
    text = plain_text(speech.get("ssml") or speech.get("text") or "")
    click.echo(f"Alexa: {text}" if text else "Alexa: (says nothing)")
    shown = body.get("card")
    if card and shown:
        click.echo(f"\n[Card] {shown.get('title', '')}\n{shown.get('content', '')}\n")


def chat_loop(conversation: Conversation, on_command: Callable[[str], str] | None = None) -> None:
    """Read phrases until the user quits; lines starting with '/' go to `on_command`."""
    click.echo('Talk to Recovery Coach. Try "I just ran ten miles", then "how should I recover?"')
    click.echo('"yes" hears more; "quit" leaves.\n')
    while True:
        try:
            line = input("You: ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            break
        if line.lower() in EXIT_WORDS:
            break
        if line.startswith("/") and on_command is not None:
            click.echo(on_command(line))
            continue
        try:
            show(conversation.say(line), card=False)
        except TransportError as exc:
            click.echo(f"(error: {exc})", err=True)
    conversation.end()
