"""Jinja2, for the advice panel only (issue 14, docs/hot-pages.md)."""

from django.template import engines
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Environment

# Jinja2 escapes ' and " as &#39; and &#34;, Django as &#x27; and &quot;: the same characters.
# Written Django's way, a partial prints the same bytes whichever engine draws it. (A finalize
# hook escaping each value Django's way doubled the panel's time; these two replacements over
# the whole output cost next to nothing.)
_DJANGO_ENTITIES = (("&#39;", "&#x27;"), ("&#34;", "&quot;"))


def environment(**options) -> Environment:
    """The environment of the Jinja2 backend in settings: autoescape always on."""
    options.pop("autoescape", None)
    return Environment(autoescape=True, **options)


def render_markup(template_name: str, context: dict) -> SafeString:
    """A Jinja2 template rendered for a Django template to print as it is."""
    html = engines["jinja2"].get_template(template_name).render(context)
    for jinja_entity, django_entity in _DJANGO_ENTITIES:
        html = html.replace(jinja_entity, django_entity)
    # Escaped by Jinja2 (autoescape): printed as it is.
    return mark_safe(html)  # nosec B308 B703
