"""The customer portal's pages. Mounted at /<slug>/ on Remit's host (remit/urls.py) and at / on a
biller's own domain (urls_domain.py); views learn their biller from ``remit.portal.context``."""

from django.urls import path

from remit.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("pay/<str:token>/", views.pay_link, name="pay_link"),
    path("brand.css", views.brand_css, name="brand_css"),
    path("logo/<str:version>.png", views.logo, name="logo"),
]
