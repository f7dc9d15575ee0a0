#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "milia_clinic.settings")
    from django.core.management import execute_from_command_line

    from milia_clinic.startup import check_settings_or_exit

    check_settings_or_exit()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
