"""Import every domain's models so Base.metadata is complete (Alembic, tests, seeding)."""
from auth import models as auth_models  # noqa: F401
from commerce import models as commerce_models  # noqa: F401
from delivery import models as delivery_models  # noqa: F401
from delivery import dispatch_models  # noqa: F401
from payments import models as payment_models  # noqa: F401
from payments import merchants as payment_merchants  # noqa: F401
from aftersales import models as aftersales_models  # noqa: F401
from store_network import models as store_network_models  # noqa: F401
from geo import models as geo_models  # noqa: F401
from events import models as event_models  # noqa: F401
from ledger import models as ledger_models  # noqa: F401
from delivery.couriers import models as courier_models  # noqa: F401
from distribution import models as distribution_models  # noqa: F401
from webhooks import models as webhook_models  # noqa: F401
from store_sync import models as store_sync_models  # noqa: F401
from vouchers import models as voucher_models  # noqa: F401
from membership import models as membership_models  # noqa: F401
from promotions import models as promotion_models  # noqa: F401
from reports import models as report_models  # noqa: F401
from storefront import models as storefront_models  # noqa: F401
from network_pricing import models as network_pricing_models  # noqa: F401
from assortment import models as assortment_models  # noqa: F401
from media import models as media_models  # noqa: F401
from db.base import Base

metadata = Base.metadata
