"""A Scrapy crawl of the suppliers in an ecoscout seeds file: the baseline
that bench/run.sh measures ecoscout against.

It does what a team would write with Scrapy for the crawling half of the
job: start at each supplier's website, follow same-site links (robots.txt
obeyed, at most --max-pages requests per site and --max-depth links deep),
and from every HTML page extract JSON-LD, forms and links into a JSON Lines
feed. It does not probe endpoints or verify credentials.

Host names are asked of the DNS server --dns-server names (the benchmark's
dnsmasq, which answers `*.test` with 127.0.0.1), like ecoscout's
`--dns-server`, so the simulated web is reachable; Scrapy caches each
answer for the run.

    python supplier_spider.py --seeds seeds.csv --out pages.jsonl --dns-server 127.0.0.1:PORT
"""

import argparse
import csv
import json
import sys
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import TextResponse
from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet import defer
from twisted.names import client
from w3lib.url import canonicalize_url


class ServerResolver(CachingThreadedResolver):
    """Asks the one DNS server of the BENCH_DNS_SERVER setting (`IP:PORT`),
    through Twisted's DNS client instead of the system's resolver; answers
    are cached as Scrapy's own resolver caches them."""

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        host, port = crawler.settings.get("BENCH_DNS_SERVER").rsplit(":", 1)
        resolver.server = client.Resolver(servers=[(host, int(port))], reactor=reactor)
        return resolver

    def getHostByName(self, name, timeout=()):
        if name in dnscache:
            return defer.succeed(dnscache[name])
        d = self.server.getHostByName(name, (self.timeout,))
        if dnscache.limit:
            d.addCallback(self._cache_result, name)
        return d


def site_of(url):
    """The site a URL belongs to: its host without `www.`."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


class SupplierSpider(scrapy.Spider):
    """Follows same-site links from each seed, within a page cap per site."""

    name = "suppliers"

    def __init__(self, seeds, max_pages, **kwargs):
        super().__init__(**kwargs)
        self.seeds = seeds
        self.max_pages = max_pages
        # Per site: canonical URLs already requested.
        self.requested = {}

    def claim(self, site, url):
        """Whether `url` may be requested for `site` (new, and under the cap)."""
        seen = self.requested.setdefault(site, set())
        key = canonicalize_url(url)
        if key in seen or len(seen) >= self.max_pages:
            return False
        seen.add(key)
        return True

    async def start(self):
        for website in self.seeds:
            site = site_of(website)
            if site and self.claim(site, website):
                yield scrapy.Request(website, cb_kwargs={"site": site})

    def parse(self, response, site):
        if not isinstance(response, TextResponse) or b"html" not in (
            response.headers.get("Content-Type") or b""
        ):
            yield {"url": response.url, "status": response.status}
            return
        jsonld = []
        for text in response.xpath('//script[@type="application/ld+json"]/text()').getall():
            try:
                jsonld.append(json.loads(text))
            except ValueError:
                pass
        forms = [
            {
                "action": response.urljoin(form.attrib.get("action", "")),
                "method": form.attrib.get("method", "get").lower(),
                "fields": form.xpath(".//input/@name | .//select/@name").getall(),
            }
            for form in response.xpath("//form")
        ]
        links = []
        for href in response.xpath("//a/@href | //area/@href").getall():
            url = response.urljoin(href.strip())
            if url.startswith(("http://", "https://")):
                links.append(url)
        yield {
            "url": response.url,
            "status": response.status,
            "jsonld": jsonld,
            "forms": forms,
            "links": len(links),
        }
        for url in links:
            if site_of(url) == site and self.claim(site, url):
                yield scrapy.Request(url, cb_kwargs={"site": site})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", required=True, help="ecoscout seeds CSV")
    parser.add_argument("--out", required=True, help="JSON Lines feed of pages")
    parser.add_argument("--max-pages", type=int, default=30)
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--per-host-concurrency", type=int, default=4)
    parser.add_argument("--download-delay", type=float, default=0,
                        help="seconds between requests to one site (Scrapy's DOWNLOAD_DELAY)")
    parser.add_argument("--dns-server", required=True, metavar="IP:PORT",
                        help="the DNS server that answers the seeds' names")
    parser.add_argument("--stats", help="write Scrapy's final stats here (JSON)")
    parser.add_argument("--close-after", type=float, default=0,
                        help="stop after this many seconds (Scrapy's CLOSESPIDER_TIMEOUT; 0: never)")
    args = parser.parse_args()

    with open(args.seeds, newline="", encoding="utf-8") as f:
        seeds = [row["website"] for row in csv.DictReader(f) if row.get("website")]

    # Scrapy's advice for broad crawls, plus the benchmark's caps.
    settings = {
        "BOT_NAME": "ecobench",
        "USER_AGENT": "ecobench-scrapy (+)",
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host_concurrency,
        "DOWNLOAD_DELAY": args.download_delay,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DEPTH_LIMIT": args.max_depth,
        "DOWNLOAD_TIMEOUT": 15,
        "DOWNLOAD_MAXSIZE": 5 * 1024 * 1024,
        "COOKIES_ENABLED": False,
        "RETRY_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "DNS_RESOLVER": "supplier_spider.ServerResolver",
        "BENCH_DNS_SERVER": args.dns_server,
        "LOG_LEVEL": "INFO",
        "CLOSESPIDER_TIMEOUT": args.close_after,
        "FEEDS": {args.out: {"format": "jsonlines", "overwrite": True}},
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SupplierSpider)
    process.crawl(crawler, seeds=seeds, max_pages=args.max_pages)
    process.start()
    stats = crawler.stats.get_stats()
    if args.stats:
        with open(args.stats, "w", encoding="utf-8") as f:
            json.dump(stats, f, default=str, indent=1, sort_keys=True)
    ended = ("finished", "closespider_timeout") if args.close_after else ("finished",)
    return 0 if stats.get("finish_reason") in ended else 1


if __name__ == "__main__":
    sys.exit(main())
