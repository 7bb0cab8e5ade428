//! Playwright's own to-do suite (`tests-examples/demo-todo-app.spec.ts`, which `npm init
//! playwright` writes into every new project), ported test for test to the harness's browser API
//! against this crate's TodoMVC app. Each Playwright `describe` is a module, each `test` a test of
//! the same name; `beforeEach` and `afterEach` are calls at the start and end of each test. Every
//! call below is the Playwright call of the same line; where one is not, a comment says so.
//!
//! Playwright → harness: `page.getByPlaceholder(p)` → `Locator::placeholder(p)`,
//! `getByTestId` → `Locator::test_id`, `getByRole(r, { name })` → `Locator::role(r).name(..)`,
//! `getByLabel` → `Locator::label`, `getByText` → `Locator::text`, `locator.locator(..)` →
//! `.locate(..)`, `{ hasText }` → `.filter_text(..)`; `locator.fill(v)` → `browser.fill(&locator,
//! v)`, and so for every action; `expect(l).toHaveText([..])` → `browser.expect(&l)
//! .to_have_texts(&[..])`, `toHaveClass([..])` → `to_have_classes(&[..])`; `page.waitForFunction(f,
//! arg)` → `browser.wait_for_function_with(f, arg)`; `test.step` → `browser.step`.

mod e2e {
    use harness::InProcessService;
    use harness::browser::{Browser, Locator, Regex};

    const TODO_ITEMS: [&str; 3] = [
        "buy some cheese",
        "feed the cat",
        "book a doctors appointment",
    ];

    /// `test.beforeEach`: the app, and the page opened on it.
    async fn open(browser: &Browser) -> anyhow::Result<InProcessService> {
        let app = InProcessService::serve(todomvc::app()).await?;
        browser.goto(&format!("{}/", app.base_url())).await?;
        Ok(app)
    }

    fn new_todo() -> Locator {
        Locator::placeholder("What needs to be done?").into()
    }

    fn todo_items() -> Locator {
        Locator::test_id("todo-item")
    }

    async fn create_default_todos(browser: &Browser) -> anyhow::Result<()> {
        for item in TODO_ITEMS {
            browser.fill(new_todo(), item).await?;
            browser.press(new_todo(), "Enter").await?;
        }
        Ok(())
    }

    // The app keeps its list under `todos` (the demo's React app under `react-todos`).
    async fn check_number_of_todos_in_local_storage(
        browser: &Browser,
        expected: usize,
    ) -> anyhow::Result<()> {
        browser
            .wait_for_function_with(
                "(e) => JSON.parse(localStorage['todos']).length === e",
                expected,
            )
            .await?;
        Ok(())
    }

    async fn check_number_of_completed_todos_in_local_storage(
        browser: &Browser,
        expected: usize,
    ) -> anyhow::Result<()> {
        browser
            .wait_for_function_with(
                "(e) => JSON.parse(localStorage['todos']).filter((todo) => todo.completed).length === e",
                expected,
            )
            .await?;
        Ok(())
    }

    async fn check_todos_in_local_storage(browser: &Browser, title: &str) -> anyhow::Result<()> {
        browser
            .wait_for_function_with(
                "(t) => JSON.parse(localStorage['todos']).map((todo) => todo.title).includes(t)",
                title,
            )
            .await?;
        Ok(())
    }

    mod new_todo {
        use super::*;

        #[harness::test]
        async fn should_allow_me_to_add_todo_items(browser: Browser) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            // create a new todo locator
            let new_todo = new_todo();

            // Create 1st todo.
            browser.fill(&new_todo, TODO_ITEMS[0]).await?;
            browser.press(&new_todo, "Enter").await?;

            // Make sure the list only has one todo item.
            browser
                .expect(Locator::test_id("todo-title"))
                .to_have_texts(&[TODO_ITEMS[0]])
                .await?;

            // Create 2nd todo.
            browser.fill(&new_todo, TODO_ITEMS[1]).await?;
            browser.press(&new_todo, "Enter").await?;

            // Make sure the list now has two todo items.
            browser
                .expect(Locator::test_id("todo-title"))
                .to_have_texts(&[TODO_ITEMS[0], TODO_ITEMS[1]])
                .await?;

            check_number_of_todos_in_local_storage(&browser, 2).await
        }

        #[harness::test]
        async fn should_clear_text_input_field_when_an_item_is_added(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            let new_todo = new_todo();

            // Create one todo item.
            browser.fill(&new_todo, TODO_ITEMS[0]).await?;
            browser.press(&new_todo, "Enter").await?;

            // Check that input is empty.
            browser.expect(&new_todo).to_be_empty().await?;
            check_number_of_todos_in_local_storage(&browser, 1).await
        }

        #[harness::test]
        async fn should_append_new_items_to_the_bottom_of_the_list(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            // Create 3 items.
            create_default_todos(&browser).await?;

            // create a todo count locator
            let todo_count = Locator::test_id("todo-count");

            // Check test using different methods.
            browser
                .expect(Locator::text("3 items left"))
                .to_be_visible()
                .await?;
            browser
                .expect(&todo_count)
                .to_have_text("3 items left")
                .await?;
            browser.expect(&todo_count).to_contain_text("3").await?;
            browser
                .expect(&todo_count)
                .to_have_text(Regex::new("3")?)
                .await?;

            // Check all items in one call.
            browser
                .expect(Locator::test_id("todo-title"))
                .to_have_texts(&TODO_ITEMS)
                .await?;
            check_number_of_todos_in_local_storage(&browser, 3).await
        }
    }

    mod mark_all_as_completed {
        use super::*;

        async fn before_each(browser: &Browser) -> anyhow::Result<InProcessService> {
            let app = open(browser).await?;
            create_default_todos(browser).await?;
            check_number_of_todos_in_local_storage(browser, 3).await?;
            Ok(app)
        }

        async fn after_each(browser: &Browser) -> anyhow::Result<()> {
            check_number_of_todos_in_local_storage(browser, 3).await
        }

        #[harness::test]
        async fn should_allow_me_to_mark_all_items_as_completed(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            // Complete all todos.
            browser
                .check(Locator::label("Mark all as complete"))
                .await?;

            // Ensure all todos have 'completed' class.
            browser
                .expect(todo_items())
                .to_have_classes(&["completed", "completed", "completed"])
                .await?;
            check_number_of_completed_todos_in_local_storage(&browser, 3).await?;
            after_each(&browser).await
        }

        #[harness::test]
        async fn should_allow_me_to_clear_the_complete_state_of_all_items(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let toggle_all = Locator::label("Mark all as complete");
            // Check and then immediately uncheck.
            browser.check(&toggle_all).await?;
            browser.uncheck(&toggle_all).await?;

            // Should be no completed classes.
            browser
                .expect(todo_items())
                .to_have_classes(&["", "", ""])
                .await?;
            after_each(&browser).await
        }

        #[harness::test]
        async fn complete_all_checkbox_should_update_state_when_items_are_completed_or_cleared(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let toggle_all = Locator::label("Mark all as complete");
            browser.check(&toggle_all).await?;
            browser.expect(&toggle_all).to_be_checked().await?;
            check_number_of_completed_todos_in_local_storage(&browser, 3).await?;

            // Uncheck first todo.
            let first_todo = todo_items().nth(0);
            browser
                .uncheck(first_todo.clone().locate(Locator::role("checkbox")))
                .await?;

            // Reuse toggleAll locator and make sure its not checked.
            browser.expect(&toggle_all).not().to_be_checked().await?;

            browser
                .check(first_todo.locate(Locator::role("checkbox")))
                .await?;
            check_number_of_completed_todos_in_local_storage(&browser, 3).await?;

            // Assert the toggle all is checked again.
            browser.expect(&toggle_all).to_be_checked().await?;
            after_each(&browser).await
        }
    }

    mod item {
        use super::*;

        #[harness::test]
        async fn should_allow_me_to_mark_items_as_complete(browser: Browser) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            let new_todo = new_todo();

            // Create two items.
            for item in &TODO_ITEMS[..2] {
                browser.fill(&new_todo, item).await?;
                browser.press(&new_todo, "Enter").await?;
            }

            // Check first item.
            let first_todo = todo_items().nth(0);
            browser
                .check(first_todo.clone().locate(Locator::role("checkbox")))
                .await?;
            browser
                .expect(&first_todo)
                .to_have_class("completed")
                .await?;

            // Check second item.
            let second_todo = todo_items().nth(1);
            browser
                .expect(&second_todo)
                .not()
                .to_have_class("completed")
                .await?;
            browser
                .check(second_todo.clone().locate(Locator::role("checkbox")))
                .await?;

            // Assert completed class.
            browser
                .expect(&first_todo)
                .to_have_class("completed")
                .await?;
            browser
                .expect(&second_todo)
                .to_have_class("completed")
                .await?;
            Ok(())
        }

        #[harness::test]
        async fn should_allow_me_to_un_mark_items_as_complete(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            let new_todo = new_todo();

            // Create two items.
            for item in &TODO_ITEMS[..2] {
                browser.fill(&new_todo, item).await?;
                browser.press(&new_todo, "Enter").await?;
            }

            let first_todo = todo_items().nth(0);
            let second_todo = todo_items().nth(1);
            let first_todo_checkbox = first_todo.clone().locate(Locator::role("checkbox"));

            browser.check(&first_todo_checkbox).await?;
            browser
                .expect(&first_todo)
                .to_have_class("completed")
                .await?;
            browser
                .expect(&second_todo)
                .not()
                .to_have_class("completed")
                .await?;
            check_number_of_completed_todos_in_local_storage(&browser, 1).await?;

            browser.uncheck(&first_todo_checkbox).await?;
            browser
                .expect(&first_todo)
                .not()
                .to_have_class("completed")
                .await?;
            browser
                .expect(&second_todo)
                .not()
                .to_have_class("completed")
                .await?;
            check_number_of_completed_todos_in_local_storage(&browser, 0).await
        }

        #[harness::test]
        async fn should_allow_me_to_edit_an_item(browser: Browser) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            create_default_todos(&browser).await?;

            let todo_items = todo_items();
            let second_todo = todo_items.clone().nth(1);
            browser.dblclick(&second_todo).await?;
            let edit = second_todo.locate(Locator::role("textbox").name("Edit"));
            browser.expect(&edit).to_have_value(TODO_ITEMS[1]).await?;
            browser.fill(&edit, "buy some sausages").await?;
            browser.press(&edit, "Enter").await?;

            // Explicitly assert the new text value.
            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], "buy some sausages", TODO_ITEMS[2]])
                .await?;
            check_todos_in_local_storage(&browser, "buy some sausages").await
        }
    }

    mod editing {
        use super::*;

        async fn before_each(browser: &Browser) -> anyhow::Result<InProcessService> {
            let app = open(browser).await?;
            create_default_todos(browser).await?;
            check_number_of_todos_in_local_storage(browser, 3).await?;
            Ok(app)
        }

        fn edit_of(item: Locator) -> Locator {
            item.locate(Locator::role("textbox").name("Edit"))
        }

        #[harness::test]
        async fn should_hide_other_controls_when_editing(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_item = todo_items().nth(1);
            browser.dblclick(&todo_item).await?;
            browser
                .expect(todo_item.clone().locate(Locator::role("checkbox")))
                .not()
                .to_be_visible()
                .await?;
            browser
                .expect(todo_item.locate("label").filter_text(TODO_ITEMS[1]))
                .not()
                .to_be_visible()
                .await?;
            check_number_of_todos_in_local_storage(&browser, 3).await
        }

        #[harness::test]
        async fn should_save_edits_on_blur(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_items = todo_items();
            browser.dblclick(todo_items.clone().nth(1)).await?;
            browser
                .fill(edit_of(todo_items.clone().nth(1)), "buy some sausages")
                .await?;
            browser
                .dispatch_event(edit_of(todo_items.clone().nth(1)), "blur")
                .await?;

            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], "buy some sausages", TODO_ITEMS[2]])
                .await?;
            check_todos_in_local_storage(&browser, "buy some sausages").await
        }

        #[harness::test]
        async fn should_trim_entered_text(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_items = todo_items();
            browser.dblclick(todo_items.clone().nth(1)).await?;
            browser
                .fill(
                    edit_of(todo_items.clone().nth(1)),
                    "    buy some sausages    ",
                )
                .await?;
            browser
                .press(edit_of(todo_items.clone().nth(1)), "Enter")
                .await?;

            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], "buy some sausages", TODO_ITEMS[2]])
                .await?;
            check_todos_in_local_storage(&browser, "buy some sausages").await
        }

        #[harness::test]
        async fn should_remove_the_item_if_an_empty_text_string_was_entered(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_items = todo_items();
            browser.dblclick(todo_items.clone().nth(1)).await?;
            browser.fill(edit_of(todo_items.clone().nth(1)), "").await?;
            browser
                .press(edit_of(todo_items.clone().nth(1)), "Enter")
                .await?;

            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], TODO_ITEMS[2]])
                .await?;
            Ok(())
        }

        #[harness::test]
        async fn should_cancel_edits_on_escape(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_items = todo_items();
            browser.dblclick(todo_items.clone().nth(1)).await?;
            browser
                .fill(edit_of(todo_items.clone().nth(1)), "buy some sausages")
                .await?;
            browser
                .press(edit_of(todo_items.clone().nth(1)), "Escape")
                .await?;
            browser
                .expect(&todo_items)
                .to_have_texts(&TODO_ITEMS)
                .await?;
            Ok(())
        }
    }

    mod counter {
        use super::*;

        #[harness::test]
        async fn should_display_the_current_number_of_todo_items(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            // create a new todo locator
            let new_todo = new_todo();

            // create a todo count locator
            let todo_count = Locator::test_id("todo-count");

            browser.fill(&new_todo, TODO_ITEMS[0]).await?;
            browser.press(&new_todo, "Enter").await?;

            browser.expect(&todo_count).to_contain_text("1").await?;

            browser.fill(&new_todo, TODO_ITEMS[1]).await?;
            browser.press(&new_todo, "Enter").await?;
            browser.expect(&todo_count).to_contain_text("2").await?;

            check_number_of_todos_in_local_storage(&browser, 2).await
        }
    }

    mod clear_completed_button {
        use super::*;

        async fn before_each(browser: &Browser) -> anyhow::Result<InProcessService> {
            let app = open(browser).await?;
            create_default_todos(browser).await?;
            Ok(app)
        }

        fn clear_completed() -> Locator {
            Locator::role("button").name("Clear completed").into()
        }

        #[harness::test]
        async fn should_display_the_correct_text(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            browser
                .check(Locator::css(".todo-list li .toggle").first())
                .await?;
            browser.expect(clear_completed()).to_be_visible().await?;
            Ok(())
        }

        #[harness::test]
        async fn should_remove_completed_items_when_clicked(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_items = todo_items();
            browser
                .check(todo_items.clone().nth(1).locate(Locator::role("checkbox")))
                .await?;
            browser.click(clear_completed()).await?;
            browser.expect(&todo_items).to_have_count(2).await?;
            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], TODO_ITEMS[2]])
                .await?;
            Ok(())
        }

        #[harness::test]
        async fn should_be_hidden_when_there_are_no_items_that_are_completed(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            browser
                .check(Locator::css(".todo-list li .toggle").first())
                .await?;
            browser.click(clear_completed()).await?;
            browser.expect(clear_completed()).to_be_hidden().await?;
            Ok(())
        }
    }

    mod persistence {
        use super::*;

        #[harness::test]
        async fn should_persist_its_data(browser: Browser) -> anyhow::Result<()> {
            let _app = open(&browser).await?;
            // create a new todo locator
            let new_todo = new_todo();

            for item in &TODO_ITEMS[..2] {
                browser.fill(&new_todo, item).await?;
                browser.press(&new_todo, "Enter").await?;
            }

            let todo_items = todo_items();
            let first_todo_check = todo_items.clone().nth(0).locate(Locator::role("checkbox"));
            browser.check(&first_todo_check).await?;
            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], TODO_ITEMS[1]])
                .await?;
            browser.expect(&first_todo_check).to_be_checked().await?;
            browser
                .expect(&todo_items)
                .to_have_classes(&["completed", ""])
                .await?;

            // Ensure there is 1 completed item.
            check_number_of_completed_todos_in_local_storage(&browser, 1).await?;

            // Now reload.
            browser.reload().await?;
            browser
                .expect(&todo_items)
                .to_have_texts(&[TODO_ITEMS[0], TODO_ITEMS[1]])
                .await?;
            browser.expect(&first_todo_check).to_be_checked().await?;
            browser
                .expect(&todo_items)
                .to_have_classes(&["completed", ""])
                .await?;
            Ok(())
        }
    }

    mod routing {
        use super::*;

        async fn before_each(browser: &Browser) -> anyhow::Result<InProcessService> {
            let app = open(browser).await?;
            create_default_todos(browser).await?;
            // make sure the app had a chance to save updated todos in storage
            // before navigating to a new view, otherwise the items can get lost :(
            // in some frameworks like Durandal
            check_todos_in_local_storage(browser, TODO_ITEMS[0]).await?;
            Ok(app)
        }

        fn link(name: &str) -> Locator {
            Locator::role("link").name(name).into()
        }

        #[harness::test]
        async fn should_allow_me_to_display_active_items(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_item = todo_items();
            browser
                .check(todo_items().nth(1).locate(Locator::role("checkbox")))
                .await?;

            check_number_of_completed_todos_in_local_storage(&browser, 1).await?;
            browser.click(link("Active")).await?;
            browser.expect(&todo_item).to_have_count(2).await?;
            browser
                .expect(&todo_item)
                .to_have_texts(&[TODO_ITEMS[0], TODO_ITEMS[2]])
                .await?;
            Ok(())
        }

        #[harness::test]
        async fn should_respect_the_back_button(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            let todo_item = todo_items();
            browser
                .check(todo_items().nth(1).locate(Locator::role("checkbox")))
                .await?;

            check_number_of_completed_todos_in_local_storage(&browser, 1).await?;

            browser
                .step("Showing all items", async {
                    browser.click(link("All")).await?;
                    browser.expect(&todo_item).to_have_count(3).await?;
                    anyhow::Ok(())
                })
                .await?;

            browser
                .step("Showing active items", async {
                    browser.click(link("Active")).await
                })
                .await?;

            browser
                .step("Showing completed items", async {
                    browser.click(link("Completed")).await
                })
                .await?;

            browser.expect(&todo_item).to_have_count(1).await?;
            browser.go_back().await?;
            browser.expect(&todo_item).to_have_count(2).await?;
            browser.go_back().await?;
            browser.expect(&todo_item).to_have_count(3).await?;
            Ok(())
        }

        #[harness::test]
        async fn should_allow_me_to_display_completed_items(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            browser
                .check(todo_items().nth(1).locate(Locator::role("checkbox")))
                .await?;
            check_number_of_completed_todos_in_local_storage(&browser, 1).await?;
            browser.click(link("Completed")).await?;
            browser.expect(todo_items()).to_have_count(1).await?;
            Ok(())
        }

        #[harness::test]
        async fn should_allow_me_to_display_all_items(browser: Browser) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            browser
                .check(todo_items().nth(1).locate(Locator::role("checkbox")))
                .await?;
            check_number_of_completed_todos_in_local_storage(&browser, 1).await?;
            browser.click(link("Active")).await?;
            browser.click(link("Completed")).await?;
            browser.click(link("All")).await?;
            browser.expect(todo_items()).to_have_count(3).await?;
            Ok(())
        }

        #[harness::test]
        async fn should_highlight_the_currently_applied_filter(
            browser: Browser,
        ) -> anyhow::Result<()> {
            let _app = before_each(&browser).await?;
            browser
                .expect(link("All"))
                .to_have_class("selected")
                .await?;

            //create locators for active and completed links
            let active_link = link("Active");
            let completed_link = link("Completed");
            browser.click(&active_link).await?;

            // Page change - active items.
            browser
                .expect(&active_link)
                .to_have_class("selected")
                .await?;
            browser.click(&completed_link).await?;

            // Page change - completed items.
            browser
                .expect(&completed_link)
                .to_have_class("selected")
                .await?;
            Ok(())
        }
    }
}
