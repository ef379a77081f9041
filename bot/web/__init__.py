"""The consoles: a tablet console for clerks and a review console for managers
(aiohttp, server-rendered pages, no assets from outside)."""
