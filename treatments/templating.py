"""Jinja2, for the consultation page's chart fragment and advice panel only (issue 14,
docs/hot-pages.md)."""

from functools import lru_cache

from django.middleware.csrf import get_token
from django.template import defaultfilters, engines
from django.template.backends.utils import csrf_input
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment
from markupsafe import Markup

# Jinja2 escapes ' and " as &#39; and &#34;, Django as &#x27; and &quot;: the same characters.
# Written Django's way, a partial prints the same bytes whichever engine draws it. (A finalize
# hook escaping each value Django's way doubled the panel's time; these two replacements over
# the whole output cost next to nothing.)
_DJANGO_ENTITIES = (("&#39;", "&#x27;"), ("&#34;", "&quot;"))


def _in_local_time(django_filter):
    """A date filter that, as in Django's engine, shows an aware datetime in the current time
    zone (Django's engine converts the value before it calls a filter that expects local time)."""

    def local(value, arg=None):
        return django_filter(template_localtime(value), arg)

    return local


# A finding (a rule's reason, caution or advice) as the advice panel prints it. The panel prints
# some four hundred of them with twenty sites, mostly the same few dozen texts again and again
# (the rules have about a hundred): each is escaped and joined once per process, not once each
# time it is printed, which made it the panel's costliest part.
_FINDING = Markup(
    '<a class="rule-id" href="{url}#rule-{rule}" title="See rule {rule} in the rules reference">'
    '{rule}</a> {text} <span class="source">({source})</span>\n'
)


@lru_cache(maxsize=4096)
def finding_markup(finding, rules_url: str) -> Markup:
    """``{{ f|finding(rules_url) }}``: a finding's markup, escaped, linked to its rule."""
    return _FINDING.format(
        url=rules_url, rule=finding.rule, text=finding.text, source=finding.source
    )


# A cell of the advice panel's "By site" list: a treatment's status at a site. Twenty sites print
# a hundred, from five treatments and four statuses: each is written once per process.
_STATUS_CELL = Markup(
    '<li class="list-inline-item status-cell status-cell--{status}"><span aria-hidden="true">'
    "{icon}</span> {name}: {label}</li>"
)


@lru_cache(maxsize=256)
def status_cell_markup(name: str, badge) -> Markup:
    """``{{ name|status_cell(badge) }}``: the status ``badge`` of the treatment ``name``."""
    return _STATUS_CELL.format(
        status=badge.status, icon=badge.icon, name=name, label=badge.label.lower()
    )


# Django's own filters, so that a value prints exactly as it did in the Django templates.
FILTERS = {
    "date": _in_local_time(defaultfilters.date),
    "time": _in_local_time(defaultfilters.time),
    "linebreaksbr": defaultfilters.linebreaksbr,
    "lower": defaultfilters.lower,
    "pluralize": defaultfilters.pluralize,
    "yesno": defaultfilters.yesno,
}


def environment(**options) -> Environment:
    """The environment of the Jinja2 backend in settings: autoescape always on, Django's
    filters, ``finding`` and ``status_cell``."""
    options.pop("autoescape", None)
    env = Environment(autoescape=True, **options)
    env.filters.update(FILTERS)
    env.filters["finding"] = finding_markup
    env.filters["status_cell"] = status_cell_markup
    return env


def render_markup(template_name: str, context: dict, request=None) -> SafeString:
    """A Jinja2 template rendered for a Django template (or a response) to print as it is.

    With ``request``, the template gets ``request``, ``csrf_input`` and ``csrf_token``, as
    Django's Jinja2 backend gives them (``{{ csrf_input }}`` prints what ``{% csrf_token %}``
    prints), but each worked out once a render, as Django's engine does: the backend's are
    worked out anew wherever printed, and the chart prints ``csrf_input`` once a site (masking
    the token 21 times took a third of the chart's render). ``context`` is left as it was.
    """
    context = dict(context)
    if request is not None:
        context["request"] = request
        context["csrf_input"] = SimpleLazyObject(lambda: csrf_input(request))
        context["csrf_token"] = SimpleLazyObject(lambda: get_token(request))
    html = engines["jinja2"].env.get_template(template_name).render(context)
    for jinja_entity, django_entity in _DJANGO_ENTITIES:
        html = html.replace(jinja_entity, django_entity)
    # Escaped by Jinja2 (autoescape): printed as it is.
    return mark_safe(html)  # nosec B308 B703
