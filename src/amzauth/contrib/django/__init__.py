"""Django app for the site kit: ``INSTALLED_APPS += ["amzauth.contrib.django"]``.

Template tags (``{% load amazon %}{% amazon_box "B0..." %}``), settings read lazily
(``AMZAUTH_PROFILE``, ``AMZAUTH_CONFIG``, ``AMZAUTH_SITE = {"theme": "dark", ...}``), an optional
middleware that batches every block of a response into one lookup, and a system check
(``manage.py check``) that runs the offline doctor on the profile. Block templates are Jinja2 files
looked up in the project's template directories first (``amzauth/box.html`` overrides ours).
"""
