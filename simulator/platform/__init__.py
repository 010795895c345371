"""The platform layers: feed ranking with limited attention, followers and the bell,
the brand's posts, and paid promotion. They decide who sees what."""
