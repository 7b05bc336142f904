"""Order pages: the schedulers' work queue (orders to schedule), an order's page, and the
order facts shown on the day list, the appointment page and at check-in."""
