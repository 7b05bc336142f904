# A separate migration from the data step: PostgreSQL refuses ALTER TABLE while the
# data step's deferred foreign-key checks are pending in the same transaction.
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("radiology", "0006_orders_for_existing_appointments")]

    operations = [
        migrations.AlterField(
            model_name="appointment",
            name="order",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="appointments", to="radiology.order"
            ),
        ),
    ]
