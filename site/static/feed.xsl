<?xml version="1.0" encoding="utf-8"?>
<!--
  snapfront: an Atom feed (site/templates/feed.atom) as a page a person can read.
  Browsers apply it through the feed's <?xml-stylesheet?>; feed readers ignore it.
  Self-contained (inline CSS, light and dark, no script); served at /-/static/feed.xsl.
-->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
<xsl:output method="html" encoding="utf-8" indent="no" doctype-system="about:legacy-compat"/>

<xsl:template match="/atom:feed">
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="color-scheme" content="light dark"/>
<link rel="icon" href="data:,"/>
<title><xsl:value-of select="atom:title"/> (Atom feed)</title>
<style>
:root { color-scheme: light dark; --bg: #fbfbfa; --fg: #1d1f21; --muted: #5c6168;
  --line: #dcdde0; --link: #0b4fb3; --surface: #f1f2f3; }
@media (prefers-color-scheme: dark) { :root { --bg: #14161a; --fg: #e3e5e8;
  --muted: #a0a6ae; --line: #33373e; --link: #8cb8ff; --surface: #1e2127; } }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; background: var(--bg);
  color: var(--fg); font: 1rem/1.5 system-ui, sans-serif; }
a { color: var(--link); }
h1 { font-size: 1.5rem; margin: 0.5rem 0; overflow-wrap: anywhere; }
.about { background: var(--surface); border: 1px solid var(--line); border-radius: 0.4rem;
  padding: 0.5rem 0.75rem; }
code, .sum { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em;
  overflow-wrap: anywhere; }
ol { list-style: none; padding: 0; }
li { border-bottom: 1px solid var(--line); padding: 0.5rem 0; }
li a { font-weight: 600; overflow-wrap: anywhere; }
.meta { color: var(--muted); font-size: 0.9rem; overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
<h1><xsl:value-of select="atom:title"/></h1>
<p class="about">This is an Atom feed: to follow new releases, give its address
<code><xsl:value-of select="atom:link[@rel='self']/@href"/></code> to a feed reader.
<xsl:if test="atom:link[@rel='alternate']">
The directory itself: <a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of
select="atom:link[@rel='alternate']/@href"/></a>.</xsl:if></p>
<xsl:choose>
<xsl:when test="atom:entry">
<ol class="entries"><xsl:apply-templates select="atom:entry"/></ol>
</xsl:when>
<xsl:otherwise><p>No releases yet.</p></xsl:otherwise>
</xsl:choose>
</main>
</body>
</html>
</xsl:template>

<xsl:template match="atom:entry">
<li class="entry">
<a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a>
<div class="meta"><time datetime="{atom:updated}"><xsl:value-of
select="translate(substring(atom:updated, 1, 16), 'T', ' ')"/> UTC</time>
<xsl:variable name="facts" select="substring-after(atom:summary, ', ')"/>
<xsl:if test="$facts"> · <xsl:value-of select="$facts"/></xsl:if>
</div>
</li>
</xsl:template>
</xsl:stylesheet>
