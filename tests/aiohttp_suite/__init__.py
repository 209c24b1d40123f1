"""aiohttp's own server-side tests run against asgiweb (the porting yardstick).

``run.py`` downloads the aiohttp sdist, ``plugin.py`` points its tests at
asgiweb served by uvicorn, ``rules.py`` says which tests cannot apply and which
ASGI or uvicorn make impossible, with the reasons.
"""
