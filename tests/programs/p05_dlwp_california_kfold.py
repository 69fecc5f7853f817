# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/chapter04_classification-and-regression.ipynb
# "Deep Learning with Python", 3rd edition, chapter 4: "Predicting house prices: a
# regression example" (K-fold validation). Author: François Chollet. Licence: MIT.
# Cells 71, 76, 77, 79, 81, 83, 88, 91. Changed for the tests: the imports (below), the
# data (standin.py's California-housing stand-in, version="small": 480 + 120 rows),
# epochs 50 -> 10 in the K-fold loop and 130 -> 20 for the final model, and the last
# line, which reports the key figures. Plots and bare expressions are left out.
import os
if os.environ.get("REFERENCE"):
    import keras
    from keras import layers
else:
    import fastnn as keras
    from fastnn import layers
from standin import california_housing, report
import numpy as np

(train_data, train_targets), (test_data, test_targets) = (
    california_housing.load_data(version="small")
)

mean = train_data.mean(axis=0)
std = train_data.std(axis=0)
x_train = (train_data - mean) / std
x_test = (test_data - mean) / std

y_train = train_targets / 100000
y_test = test_targets / 100000

def get_model():
    model = keras.Sequential(
        [
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ]
    )
    model.compile(
        optimizer="adam",
        loss="mean_squared_error",
        metrics=["mean_absolute_error"],
    )
    return model

k = 4
num_val_samples = len(x_train) // k
num_epochs = 10
all_scores = []
for i in range(k):
    print(f"Processing fold #{i + 1}")
    fold_x_val = x_train[i * num_val_samples : (i + 1) * num_val_samples]
    fold_y_val = y_train[i * num_val_samples : (i + 1) * num_val_samples]
    fold_x_train = np.concatenate(
        [x_train[: i * num_val_samples], x_train[(i + 1) * num_val_samples :]],
        axis=0,
    )
    fold_y_train = np.concatenate(
        [y_train[: i * num_val_samples], y_train[(i + 1) * num_val_samples :]],
        axis=0,
    )
    model = get_model()
    model.fit(
        fold_x_train,
        fold_y_train,
        epochs=num_epochs,
        batch_size=16,
        verbose=0,
    )
    scores = model.evaluate(fold_x_val, fold_y_val, verbose=0)
    val_loss, val_mae = scores
    all_scores.append(val_mae)

print(round(np.mean(all_scores), 3))

model = get_model()
model.fit(x_train, y_train, epochs=20, batch_size=16, verbose=0)
test_mean_squared_error, test_mean_absolute_error = model.evaluate(
    x_test, y_test
)

predictions = model.predict(x_test)
predictions[0]

report(kfold_val_mae=np.mean(all_scores), test_mse=test_mean_squared_error,
       test_mae=test_mean_absolute_error)
