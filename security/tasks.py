from celery import shared_task

from security.access_log import purge_access_log


@shared_task(name="security.purge_access_log")
def purge_access_log_task():
    return purge_access_log()
