"""Sources declared in ``sources.yaml``: a small class per kind on one shared base.

A concrete source mostly sets attributes; the base turns what it fetches into Tenders and
ParseErrors. Adding a feed, a municipal page or a folder of notices is configuration only.
One module per family of kinds: ``files``, ``web``, ``apis``, ``awards``, ``mailbox``;
``registry`` knows them all.
"""

from scrapers.sources.apis import OcdsApi as OcdsApi
from scrapers.sources.apis import TedApi as TedApi
from scrapers.sources.base import Source as Source
from scrapers.sources.files import NoticeFiles as NoticeFiles
from scrapers.sources.files import TedPackages as TedPackages
from scrapers.sources.mailbox import AlertMailbox as AlertMailbox
from scrapers.sources.registry import KINDS as KINDS
from scrapers.sources.registry import load_sources as load_sources
from scrapers.sources.web import Feed as Feed
from scrapers.sources.web import MunicipalPage as MunicipalPage
