"""The Kivy touchscreen: screens only draw the flow's state and forward taps to it."""
