from django.urls import path

from remit.console import views

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin/", views.signin, name="signin"),
    path("signout/", views.signout, name="signout"),
    path("signup/", views.signup, name="signup"),
    path("invitations/<str:token>", views.invitation_accept, name="invitation_accept"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/branding/", views.branding, name="branding"),
    path("<slug:slug>/portal-address/", views.portal_address, name="portal_address"),
    path("<slug:slug>/team/", views.team, name="team"),
    path("<slug:slug>/team/<int:membership_id>/remove", views.team_remove, name="team_remove"),
    path("<slug:slug>/invitations/<int:invitation_id>/revoke", views.invitation_revoke, name="invitation_revoke"),
]
