"""Reports for the people who decide (issue 9): figures gathered from the counts the server keeps at ingest,
rendered to a printable page (HTML) and a PDF.

- :mod:`.period`: the period a report covers (a calendar month or quarter);
- :mod:`.monthly`: the monthly team report for one site, gathered as plain values (no suppression yet);
- :mod:`.quarterly`: the quarterly report across sites for the forum and the Board, likewise;
- :mod:`.easy_read`: its Easy Read version (pictures, short sentences, amounts in words);
- :mod:`.comment_themes`: the top themes of a period's comments, the dashboard's grouping at a report's size;
- :mod:`.render`: small counts suppressed as on the dashboard, then Jinja2 to HTML and WeasyPrint to PDF.

Other reports (participation) gather their own figures the same way and render through
:func:`.render.write_report` with their own template.
"""
