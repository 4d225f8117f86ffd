"""bench/channels/echo_asgi.py - the echo server of bench/ws_bench.py on
Django Channels: a settings-only Django project with one WebSocket consumer
that sends every text and binary message back. Served by daphne:

    PYTHONPATH=bench/channels daphne -b 127.0.0.1 -p PORT echo_asgi:application
"""
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only-not-secret",
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["channels"],
    ASGI_APPLICATION="echo_asgi.application",
)
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data, bytes_data=bytes_data)


application = ProtocolTypeRouter({
    "websocket": URLRouter([path("ws/echo", Echo.as_asgi())]),
})
