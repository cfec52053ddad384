"""Storefront configuration ("千店千面"): a versioned home-page document per network node (HQ
template, partner and store overrides) and its resolution for one store."""
