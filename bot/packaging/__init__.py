"""The Teams app package: appPackage/manifest.json filled, checked against Microsoft's schema and
the rules the schema cannot express, and zipped with both icons (``mailroom package``)."""

from bot.packaging.build import AppPackage, build_package, write_package
from bot.packaging.checks import PackageFile
from bot.packaging.options import OPTION_SOURCES, OptionSource, PackageOptions
from bot.packaging.schema import NodeSchemaValidator, SchemaReport, SchemaValidator

__all__ = [
    "OPTION_SOURCES",
    "AppPackage",
    "NodeSchemaValidator",
    "OptionSource",
    "PackageFile",
    "PackageOptions",
    "SchemaReport",
    "SchemaValidator",
    "build_package",
    "write_package",
]
